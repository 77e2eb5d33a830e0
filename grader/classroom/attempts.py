"""Which exercises a submission attempted: the class report counts failures over attempted work only.

A blank notebook fails every test, but it has not got anything wrong: its functions are still the
template's stubs. An exercise is attempted when at least one of its contract functions
(``assignment.CONTRACT_FUNCTIONS``) is defined with a body of the student's own: not only a
docstring and ``raise NotImplementedError(...)`` (the template's), ``pass`` or ``...``. The notebook's
code cells are read one by one (a cell with a syntax error hides only its own definitions), the last
definition of a name winning, as in the kernel. Nothing runs.

The batch writes ``OUT/<key>/attempted.json`` (:func:`attempted_json`) beside the submission's
code; a folder without one (an OUT graded before it existed) counts every exercise as attempted.
"""
import ast
import json
from pathlib import Path

from assignment import CONTRACT_FUNCTIONS

ATTEMPTED_FILE = "attempted.json"


def code_cells(path: Path) -> list[str]:
    """The sources of the notebook's code cells, IPython's ``%`` and ``!`` lines left out; none when the
    file is no notebook."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    cells = data.get("cells") if isinstance(data, dict) else None
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(map(str, source)) if isinstance(source, list) else str(source)
            sources.append("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    return sources


def _is_stub(function: ast.FunctionDef) -> bool:
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]                                            # the docstring
    if not body:
        return True
    if len(body) != 1:
        return False
    statement = body[0]
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and statement.value.value is ...:
        return True
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        raised = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"
    return False


def written_functions(path: "str | Path") -> dict[str, bool]:
    """{contract function defined at the top level of a code cell: whether its last definition is written}."""
    wanted = {name for names in CONTRACT_FUNCTIONS.values() for name in names}
    written = {}
    for source in code_cells(Path(path)):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted:
                written[node.name] = not _is_stub(node)
            elif isinstance(node, ast.Assign):              # sigmoid = scipy.special.expit
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in wanted:
                        written[target.id] = True
    return written


def attempted_exercises(written: dict[str, bool]) -> dict[str, bool]:
    """{exercise id: whether any of its contract functions is written}."""
    return {exercise: any(written.get(name, False) for name in names) for exercise, names in CONTRACT_FUNCTIONS.items()}


def attempted_json(notebook: "str | Path") -> str:
    """The text of ``attempted.json`` for ``notebook``: the exercises it attempted."""
    return json.dumps({"attempted": attempted_exercises(written_functions(notebook))}, sort_keys=True) + "\n"


def read_attempted(result_dir: "str | Path") -> dict[str, bool]:
    """{exercise id: attempted} from ``attempted.json``; every exercise attempted when there is none."""
    try:
        data = json.loads((Path(result_dir) / ATTEMPTED_FILE).read_text(encoding="utf-8"))
        attempted = data["attempted"]
        return {exercise: bool(attempted.get(exercise, True)) for exercise in CONTRACT_FUNCTIONS}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return dict.fromkeys(CONTRACT_FUNCTIONS, True)
