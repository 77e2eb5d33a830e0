"""Imports point one way (README "Imports point one way"): the project's import graph, every
``import`` in every function and class included, has no cycle, and no import climbs the layers.

The graph is read from the source with :mod:`ast` (nothing is imported), so an import a function
makes only when called counts as much as one at the top of its module. An import under
``if TYPE_CHECKING:`` is left out (it never runs). A module's name is its path below the
repository (``grader/kernel/sandbox.py`` is ``grader.kernel.sandbox``); an import names the deepest
project module it reaches (``from grader.kernel import sandbox`` reaches ``grader.kernel.sandbox``,
``from grader import budget`` ``grader.budget``); a plain ``import week6_selfcheck`` beside it (how
the student's shipped files import each other) reaches its sibling in the same folder.
"""
import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The folders whose Python files are the project's modules (.venv*, dist, caches are not).
PACKAGES = ("project", "reference", "student_template", "assignment", "grader", "tools", "bench", "tests",
            "examples", "data", "cluster")
ROOT_MODULES = ("conftest",)

# The layers, bottom first, as README "Imports point one way" states them: a module may import
# modules of its own layer and of the layers below it, never above. The first prefix that matches
# a module's name (a name, or a name and a dot) gives its layer.
LAYERS = [
    ("project", ("project",)),
    ("reference, student_template", ("reference", "student_template")),
    ("assignment", ("assignment",)),
    ("grader's top-level modules", ("grader.__init__", "grader.config", "grader.model", "grader.budget",
                                    "grader.handed_in", "grader.exit")),
    ("grader.kernel", ("grader.kernel",)),
    ("grader.reports, grader.render", ("grader.reports", "grader.render")),
    ("grader.stages, grader.pipeline", ("grader.stages", "grader.pipeline")),
    ("grader.gradescope", ("grader.gradescope",)),
    ("grader.classroom", ("grader.classroom",)),
    ("grader.cli", ("grader.cli", "grader.__main__")),
    ("tools, bench, tests, examples, data, cluster", ("tools", "bench", "tests", "examples", "data", "cluster",
                                                      "conftest")),
]
# Where a function-level import of the project must say why (an optional or heavy dependency, start-up
# time) in a comment on its line or just above it; the command line says it once, at its top, for all
# its subcommands (each imports what it needs when it runs).
SHIPPED = ("project", "reference", "student_template", "assignment", "grader")
WHY_SAID_ONCE = ("grader.cli",)
# What a package imports of the project's other packages, beyond the layers' rule: student_template
# is what a student downloads, so it imports nothing but itself; reference is the answer alone.
ONLY_ITSELF = ("student_template", "reference")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts)          # a package's own module keeps its ".__init__": its layer can differ


def project_modules() -> dict[str, Path]:
    """{module name: file} for every Python file of the project."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(ROOT).parts):
                modules[module_name(path)] = path
    for name in ROOT_MODULES:
        if (ROOT / f"{name}.py").is_file():
            modules[name] = ROOT / f"{name}.py"
    return modules


class Import:
    """One import statement's reach into the project: where it is and whether it runs only when a
    function is called."""

    def __init__(self, source: str, target: str, line: int, in_function: bool):
        self.source, self.target, self.line, self.in_function = source, target, line, in_function

    def __repr__(self):
        where = "in a function" if self.in_function else "at module level"
        return f"{self.source}:{self.line} -> {self.target} ({where})"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(tree: ast.AST):
    """(import node, inside a function?) for every import of the tree but those under TYPE_CHECKING."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from walk(ast.Module(body=[other], type_ignores=[]), in_function)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            yield from walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                          ast.Lambda)))
    yield from walk(tree, False)


def _resolve(name: str, modules: dict) -> str | None:
    """The project module ``name`` (dotted) reaches: itself, its package's own module, else the
    deepest project module it starts with; None outside the project."""
    while name:
        if name in modules:
            return name
        if f"{name}.__init__" in modules:
            return f"{name}.__init__"
        name = name.rpartition(".")[0]
    return None


def imports_of(source: str, path: Path, modules: dict) -> list[Import]:
    """Every import of the module ``source`` that reaches a project module (other than itself)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package_parts = source.split(".")[:-1]          # a package's own module (x.__init__) is in x, as x.y is
    package = ".".join(package_parts)
    found, seen = [], set()
    for node, in_function in _statements(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package_parts[: len(package_parts) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names = [f"{stem}.{alias.name}" if stem else alias.name for alias in node.names]
        for name in names:
            target = _resolve(name, modules)
            if target is None and package:
                # a plain import of a sibling (student_template's files as shipped, tests' helpers)
                first = f"{package}.{name.split('.')[0]}"
                if first in modules or f"{first}.__init__" in modules:
                    target = _resolve(f"{package}.{name}", modules)
            if target is not None and target != source and (target, node.lineno) not in seen:
                seen.add((target, node.lineno))
                found.append(Import(source, target, node.lineno, in_function))
    return found


def layer_of(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer of LAYERS: add it (and to README's list)")


def import_graph():
    modules = project_modules()
    return modules, [edge for name, path in modules.items() for edge in imports_of(name, path, modules)]


def cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    graph = defaultdict(set)
    for edge in edges:
        graph[edge.source].add(edge.target)
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_the_graph_is_read(graph):
    """The walk finds what it must: modules of every package, imports inside functions, relative
    imports and a shipped file's plain import of its sibling."""
    modules, edges = graph
    assert {name.split(".")[0] for name in modules} >= {"project", "reference", "student_template", "assignment",
                                                         "grader", "tools", "tests"}
    assert len(edges) > 500
    assert any(edge.in_function for edge in edges)
    reached = {(edge.source, edge.target) for edge in edges}
    assert ("grader.kernel.sandbox", "grader.kernel.launch") in reached
    assert ("reference.__init__", "reference.network") in reached                  # from .network import ...
    assert ("student_template.week6_selfcheck", "student_template.selfcheck_report") in reached


def test_no_import_cycle(graph):
    _, edges = graph
    found = cycles(edges)
    shown = []
    for component in found:
        members = set(component)
        shown.append(" <-> ".join(component) + ":\n    " + "\n    ".join(
            repr(edge) for edge in edges if edge.source in members and edge.target in members))
    assert not found, f"{len(found)} import cycle(s):\n  " + "\n  ".join(shown)


def test_no_import_climbs_the_layers(graph):
    _, edges = graph
    climbing = [edge for edge in edges if layer_of(edge.target) > layer_of(edge.source)]
    assert not climbing, "imports that climb the layers (README \"Imports point one way\"):\n  " + "\n  ".join(
        f"{edge!r}: {LAYERS[layer_of(edge.source)][0]} imports {LAYERS[layer_of(edge.target)][0]}"
        for edge in climbing)


@pytest.mark.parametrize("package", ONLY_ITSELF)
def test_package_imports_nothing_else_of_the_project(graph, package):
    _, edges = graph
    outside = [edge for edge in edges
               if edge.source.split(".")[0] == package and edge.target.split(".")[0] != package]
    assert not outside, f"{package} imports other packages of the project:\n  " + "\n  ".join(map(repr, outside))


def _says_why(lines: list[str], line: int) -> bool:
    """The import on ``line`` (1-based) has a comment on its line or just above it, where "above" passes
    over the imports of the same group and the ``try:``/``except``/``else:`` that guard them."""
    index = line - 1
    while index >= 0:
        text = lines[index].strip()
        if "#" in lines[index]:
            return True
        if not (text.startswith(("import ", "from ", "try:", "except", "else:")) or index == line - 1):
            return False
        index -= 1
    return False


def test_function_level_imports_say_why(graph):
    modules, edges = graph
    silent = []
    for edge in edges:
        if (edge.in_function and edge.source.split(".")[0] in SHIPPED and edge.source not in WHY_SAID_ONCE):
            lines = modules[edge.source].read_text(encoding="utf-8").splitlines()
            if not _says_why(lines, edge.line):
                silent.append(edge)
    assert not silent, ("imports inside functions that do not say why (README: only for an optional or heavy "
                        "dependency or start-up time, with a comment):\n  " + "\n  ".join(map(repr, silent)))


def test_the_layers_are_the_readmes():
    """README's list of layers is this test's LAYERS, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Imports point one way", 1)[1].split("\n## ", 1)[0]
    listed = [line.split(". ", 1)[1].split(":")[0].strip().replace("`", "")
              for line in section.splitlines() if line[:1].isdigit() and ". " in line]
    assert listed == [name for name, _ in LAYERS]


def test_cycles_and_climbs_are_found():
    """The checks fail where they must: a made-up cycle and a made-up climb."""
    edges = [Import("grader.kernel.a", "grader.kernel.b", 1, True), Import("grader.kernel.b", "grader.kernel.a", 2, False),
             Import("grader.kernel.b", "grader.kernel.c", 3, False)]
    assert cycles(edges) == [["grader.kernel.a", "grader.kernel.b"]]
    assert layer_of("assignment.kit.plan") < layer_of("grader.__init__") < layer_of("grader.kernel.sandbox") \
        < layer_of("grader.classroom.batch") < layer_of("grader.cli") < layer_of("tests.test_import_graph")
