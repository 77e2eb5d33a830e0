"""Build filled-in lab notebooks from the student template.

The template (``student_template/week6_backprop.ipynb``) marks each graded
cell with ``{"week6": {"graded": "<name>"}}``. :func:`fill_template` replaces
the stub in such cells with an implementation, so one call builds the bundled
example submission and others build test fixtures:

    from examples.notebook_builder import (fill_template, load_template,
                                           per_sample_sources, reference_sources)
    example = fill_template(load_template(), reference_sources())
    loops = fill_template(load_template(), {**reference_sources(), **per_sample_sources()})
    wrong = fill_template(load_template(), {**reference_sources(),
                                            "sigmoid": "def sigmoid(a):\\n    return a\\n"})

An implementation is a source string or a function (whose source is taken
with :func:`inspect.getsource`; a function of another name is bound to the
graded name after its definition). Names missing from ``implementations``
keep their stub.

The notebook must not import :mod:`reference`, so each filled cell starts
with what its code needs from the reference package: every module-level
function, class, constant or import of ``reference/*.py`` that the code names,
transitively, each emitted once in the notebook (in the first graded cell that
needs it), dependencies first. Relative imports are dropped: the definitions
they would import are emitted instead. Not emitted: names that an earlier cell
already binds -- the template's imports (``np``, ``sio``, ``minimize``,
``plt``), its given helpers (``n_params``, ``unpack``: skipped when they are
the reference's code), and contract functions of earlier graded cells, which
the code then uses from the notebook as a student's code would. A contract
function needed before its own cell (e.g. ``relu`` inside ``ACTIVATIONS``,
which exercise 1c needs, while relu is the bonus) is emitted early, from
``implementations`` or else the reference, and its own cell defines it again.

Reference defaults that point into the repository are rewritten for a
notebook sitting next to its data (:data:`NOTEBOOK_DEFAULTS`): e.g.
``def load_data(data_dir=DATA_DIR)`` becomes ``def load_data(data_dir=".")``.
"""
import ast
import builtins
import copy
import importlib
import inspect
import pkgutil
import symtable
import sys
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import assignment  # noqa: E402
import reference  # noqa: E402
from reference.answers import WRITTEN_ANSWERS  # noqa: E402

TEMPLATE_PATH = ROOT / "student_template" / "week6_backprop.ipynb"
EXAMPLE_PATH = ROOT / "examples" / "example_submission.ipynb"

# The contract's function names, in notebook order.
CONTRACT_NAMES = [name for names in assignment.CONTRACT_FUNCTIONS.values() for name in names]

# Module-level names used as parameter defaults in the reference -> the default in a notebook.
# DATA_DIR is the repository's data/ folder; a notebook reads its .mat files from its own directory.
NOTEBOOK_DEFAULTS = {"DATA_DIR": '"."'}

# The output loss of each per-sample variant (see per_sample_sources).
_PER_SAMPLE_LOSS = {"backprop": "bce", "ce_backprop": "ce"}

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Definition:
    """A top-level binding: ``name`` bound by the statement ``source`` (a def, class, assignment or import)."""
    name: str
    source: str

    def same_as(self, other):
        """True when both statements are the same code (comments and layout aside)."""
        return _normalized(self.source) == _normalized(other.source)


# --------------------------------------------------------------------------- source analysis

def _normalized(source):
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return source


def _parse(source):
    """The module AST of ``source``, or None when it does not parse (a fixture may be broken on purpose)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _segment(lines, node):
    """The text of a top-level statement, with its decorators and the comment lines right above it."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return "\n".join(lines[start:node.end_lineno])


def definitions(source):
    """The top-level bindings of ``source``, in order: a list of :class:`Definition`.

    Imports give one definition per bound name (``import numpy as np`` -> ``np``);
    relative imports give none (in a notebook they have nothing to import from).
    """
    tree = _parse(source)
    if tree is None:
        return []
    lines = source.splitlines()
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                found.append(Definition(name, ast.unparse(ast.Import(names=[alias]))))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                continue
            for alias in node.names:
                found.append(Definition(alias.asname or alias.name,
                                        ast.unparse(ast.ImportFrom(module=node.module, names=[alias], level=0))))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append(Definition(node.name, _segment(lines, node)))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name_node in ast.walk(target):
                    if isinstance(name_node, ast.Name):
                        found.append(Definition(name_node.id, _segment(lines, node)))
    return found


def free_names(source):
    """Global names ``source`` reads but does not bind itself, builtins excluded, in order of first use."""
    tree = _parse(source)
    if tree is None:
        return []
    top = symtable.symtable(source, "<cell>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    free = {s.get_name() for s in top.get_symbols() if s.is_referenced() and s.get_name() not in bound}
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        free.update(s.get_name() for s in table.get_symbols() if s.is_global() and s.get_name() not in bound)
        stack.extend(table.get_children())
    free -= _BUILTINS
    first_use = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in free:
            position = (node.lineno, node.col_offset)
            first_use[node.id] = min(first_use.get(node.id, position), position)
    return sorted(free, key=lambda name: (first_use.get(name, (0, 0)), name))


def notebook_ready(source):
    """``source`` with each parameter default named in :data:`NOTEBOOK_DEFAULTS` replaced by its notebook value."""
    tree = _parse(source)
    if tree is None:
        return source
    spots = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                if isinstance(default, ast.Name) and default.id in NOTEBOOK_DEFAULTS:
                    spots.append((default.lineno, default.col_offset, default.end_col_offset, default.id))
    lines = source.splitlines(keepends=True)
    for lineno, start, end, name in sorted(spots, reverse=True):
        raw = lines[lineno - 1].encode("utf-8")   # ast offsets count UTF-8 bytes
        lines[lineno - 1] = (raw[:start] + NOTEBOOK_DEFAULTS[name].encode("utf-8") + raw[end:]).decode("utf-8")
    return "".join(lines)


def _function_source(function):
    return textwrap.dedent(inspect.getsource(function)).strip("\n")


# --------------------------------------------------------------------------- the reference package

@lru_cache(maxsize=None)
def _reference_pool():
    pool = {}
    for module_info in sorted(pkgutil.iter_modules(reference.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{reference.__name__}.{module_info.name}")
        for definition in definitions(inspect.getsource(module)):
            definition = Definition(definition.name, notebook_ready(definition.source))
            known = pool.get(definition.name)
            if known is not None and not known.same_as(definition):
                raise ValueError(f"reference defines {definition.name!r} twice, differently; "
                                 "the notebook builder needs module-level names to be unique")
            pool.setdefault(definition.name, definition)
    return pool


def reference_pool():
    """Every module-level binding of ``reference/*.py`` (not ``__init__``): {name: Definition}, in module order."""
    return dict(_reference_pool())


def reference_sources():
    """{contract name: notebook-ready source of the reference's function} (from :func:`inspect.getsource`)."""
    sources = {}
    for name in CONTRACT_NAMES:
        function = getattr(reference, name)
        if not function.__module__.startswith(reference.__name__ + "."):
            raise ValueError(f"reference.{name} is not defined in the reference package")
        sources[name] = notebook_ready(_function_source(function))
    return sources


def per_sample_sources():
    """``backprop`` and ``ce_backprop`` as loops over the samples: reference.backprop_per_sample under the contract's names.

    Combine with :func:`reference_sources` for a submission written with per-sample loops
    (``bce_loss`` and ``bce_grad`` of the reference call ``backprop``, so they loop too).
    """
    sources = {}
    for name, loss in _PER_SAMPLE_LOSS.items():
        signature = inspect.signature(getattr(reference, name))
        arguments = ", ".join(signature.parameters)
        sources[name] = (f"def {name}{signature}:\n"
                         f'    """{name}, one sample at a time (the handout\'s equations as loops)."""\n'
                         f"    return backprop_per_sample({arguments}, loss={loss!r})")
    return sources


# --------------------------------------------------------------------------- notebooks

def load_template(path=TEMPLATE_PATH):
    """The student template as an nbformat v4 notebook."""
    return nbformat.read(str(path), as_version=4)


def graded_cells(nb):
    """[(cell index, graded name)] in notebook order."""
    return [(index, cell.metadata["week6"]["graded"]) for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and "graded" in cell.metadata.get("week6", {})]


def _implementation_source(name, implementation):
    if callable(implementation):
        source = _function_source(implementation)
        if implementation.__name__ != name:
            source += f"\n\n\n{name} = {implementation.__name__}"
        return notebook_ready(source)
    if isinstance(implementation, str):
        return textwrap.dedent(implementation).strip("\n")
    raise TypeError(f"the implementation of {name} must be a source string or a function, "
                    f"not {type(implementation).__name__}")


def _header(source):
    """The leading comment lines of a template cell (kept above the implementation)."""
    lines = []
    for line in source.splitlines():
        if not line.lstrip().startswith("#"):
            break
        lines.append(line)
    return lines


class UnresolvedNames(ValueError):
    """A filled cell uses names that neither the notebook nor the reference package define."""


def fill_template(template_nb, implementations, strict=False, verbatim=False):
    """A copy of ``template_nb`` with each graded cell named in ``implementations`` filled in.

    implementations: {contract name: source string or function}; names left out keep their stub.
    strict: raise :class:`UnresolvedNames` when filled code reads a global name that no earlier
    cell, emitted helper or builtin provides (off by default: a fixture may want a NameError).
    verbatim: each filled cell holds its implementation and nothing else (no definition is
    emitted from the reference): for solutions written without the reference, whose cells
    define, or use from later cells at call time, everything they need.
    Returns a new, validated nbformat v4 notebook; the template is not modified.
    """
    nb = copy.deepcopy(template_nb)
    graded = dict((name, index) for index, name in graded_cells(nb))
    unknown = sorted(set(implementations) - set(graded))
    if unknown:
        raise ValueError(f"no graded cell for {unknown}; the template grades {sorted(graded)}")
    sources = {name: _implementation_source(name, impl) for name, impl in implementations.items()}
    fallback = reference_sources()
    pool = _reference_pool()

    defined = set()          # names bound by the cells processed so far (and the chunks emitted)
    template_defs = {}       # name -> Definition, from the template's own (non-graded) cells so far
    unresolved = {}

    def bind(source):
        defined.update(d.name for d in definitions(source))

    def need(name, chunks, user):
        if name in defined:
            return
        if name in template_defs and (name not in pool or template_defs[name].same_as(pool[name])):
            return
        if name in CONTRACT_NAMES:
            source = sources.get(name, fallback[name])
        elif name in pool:
            source = pool[name].source
        else:
            unresolved.setdefault(user, set()).add(name)
            return
        defined.add(name)    # before the dependencies: a cycle stops here instead of looping
        for dependency in free_names(source):
            need(dependency, chunks, user)
        chunks.append(source)
        bind(source)

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        name = cell.metadata.get("week6", {}).get("graded")
        if name is None:
            for definition in definitions(cell.source):
                template_defs[definition.name] = definition
            continue
        if name not in sources:
            bind(cell.source)             # the stub: later cells see the name as defined
            continue
        chunks = []
        for dependency in ([] if verbatim else free_names(sources[name])):
            need(dependency, chunks, name)
        if chunks:
            chunks[0] = f"# First what {name} needs from the reference solution, then {name} itself.\n{chunks[0]}"
        chunks.append(sources[name])
        bind(sources[name])
        defined.add(name)
        cell.source = "\n".join(_header(cell.source) + ["\n\n\n".join(chunks)])
        cell.outputs = []
        cell.execution_count = None

    if strict and unresolved:
        detail = "; ".join(f"{user}: {sorted(names)}" for user, names in unresolved.items())
        raise UnresolvedNames(f"names defined nowhere: {detail}")
    nbformat.validate(nb)
    return nb


def fill_answers(nb, answers):
    """A copy of ``nb`` whose answer cells (``{"week6": {"answer": <id>}}``) hold ``answers``: {question id: text}.

    Questions left out keep their cell as it is; an id with no answer cell raises ValueError.
    """
    nb = copy.deepcopy(nb)
    cells = {cell.metadata.get("week6", {}).get("answer"): cell for cell in nb.cells}
    unknown = sorted(set(answers) - set(cells))
    if unknown:
        raise ValueError(f"no answer cell for {unknown}")
    for question_id, text in answers.items():
        cells[question_id].source = text
    nbformat.validate(nb)
    return nb


def build_example(template_nb=None):
    """The bundled example submission: the template filled with the reference solution and its written answers."""
    nb = fill_template(template_nb if template_nb is not None else load_template(), reference_sources(),
                       strict=True)
    return fill_answers(nb, WRITTEN_ANSWERS)


def render(nb):
    """A notebook's file text, as the project writes notebooks (nbformat's JSON plus a final newline)."""
    return nbformat.writes(nb) + "\n"


def write_notebook(nb, path):
    """Write ``nb`` to ``path`` (see :func:`render`); returns the path."""
    path = Path(path)
    path.write_text(render(nb), encoding="utf-8")
    return path
