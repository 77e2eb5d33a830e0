"""The student notebook: valid, complete against the contract, and exactly what tools/build_template.py writes."""
import ast
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import assignment  # noqa: E402
import reference  # noqa: E402
from student_template import written_answers  # noqa: E402
from reference import training  # noqa: E402
from tests.contract import CONTRACT_SIGNATURES  # noqa: E402  (the contract's table, copied on purpose)

TEMPLATE = ROOT / "student_template" / "week6_backprop.ipynb"
BUILD_SCRIPT = ROOT / "tools" / "build_template.py"

CONTRACT_NAMES = [name for names in assignment.CONTRACT_FUNCTIONS.values() for name in names]

HANDOUT_LINES = [
    "sio.loadmat('pointsClass1Week6.mat')['pointsClass1Week6']",
    "sio.loadmat('pointsClass2Week6.mat')['pointsClass2Week6']",
    "sio.loadmat('xWeek6Ex3PointsClass1.mat')['xWeek6Ex3PointsClass1']",
    "sio.loadmat('xWeek6Ex3PointsClass2.mat')['xWeek6Ex3PointsClass2']",
    "sio.loadmat('xWeek6Ex3PointsClass3.mat')['xWeek6Ex3PointsClass3']",
]
IMPORT_LINES = [
    "import numpy as np",
    "import scipy.io as sio",
    "from scipy.optimize import minimize",
    "import matplotlib.pyplot as plt",
]
SELFCHECK_SOURCE = "from week6_selfcheck import run_selfcheck\nrun_selfcheck(globals())"
ROLES = {"imports", "settings", "given", "run", "selfcheck"}


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(str(TEMPLATE), as_version=4)


@pytest.fixture(scope="module")
def graded(nb):
    """{name: [cells marked graded with that name]}."""
    cells = {}
    for cell in nb.cells:
        name = cell.metadata.get("week6", {}).get("graded")
        if name is not None:
            cells.setdefault(name, []).append(cell)
    return cells


def code_cells(nb, role=None):
    return [cell for cell in nb.cells if cell.cell_type == "code"
            and (role is None or cell.metadata.get("week6", {}).get("role") == role)]


def signature_of(function_def):
    """(argument names, {name: default value}, has *args/**kwargs/keyword-only) of an ast.FunctionDef."""
    args = function_def.args
    names = [a.arg for a in args.posonlyargs + args.args]
    defaults = {a.arg: ast.literal_eval(d) for a, d in zip((args.posonlyargs + args.args)[-len(args.defaults):],
                                                          args.defaults)} if args.defaults else {}
    extra = bool(args.vararg or args.kwarg or args.kwonlyargs)
    return names, defaults, extra


def contract_signature(name):
    return signature_of(ast.parse(f"def {name}{CONTRACT_SIGNATURES[name]}: pass").body[0])


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_template_under_test", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- format

def test_template_is_valid_nbformat_v4(nb):
    raw = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    assert raw["nbformat"] == 4
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert all(not cell.get("outputs") for cell in code_cells(nb)), "the template is committed unexecuted"


def test_template_is_what_build_template_writes():
    assert TEMPLATE.read_text(encoding="utf-8") == load_build_script().render(), \
        "run `make template` (tools/build_template.py) and commit the notebook"


def test_cell_metadata_is_graded_or_a_known_role(nb):
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids))
    for cell in code_cells(nb):
        meta = cell.metadata.get("week6")
        assert meta is not None, cell.source[:80]
        plots = {plot.id for plot in written_answers.PLOTS}
        assert meta == {"graded": meta.get("graded")} or (set(meta) == {"role"} and meta["role"] in ROLES) \
            or (meta.get("role") == "run" and set(meta) == {"role", "plot"} and meta["plot"] in plots), meta
    # every plot the grader collects has exactly one marked cell in the template
    marked = [cell.metadata["week6"]["plot"] for cell in code_cells(nb) if "plot" in cell.metadata["week6"]]
    assert sorted(marked) == sorted(plot.id for plot in written_answers.PLOTS)


# --------------------------------------------------------------------------- graded cells

def test_contract_table_here_matches_reference_names():
    assert list(CONTRACT_SIGNATURES) == CONTRACT_NAMES


def test_each_contract_function_has_exactly_one_graded_cell_in_order(nb, graded):
    assert {name: len(cells) for name, cells in graded.items()} == {name: 1 for name in CONTRACT_NAMES}
    order = [cell.metadata["week6"]["graded"] for cell in nb.cells if "graded" in cell.metadata.get("week6", {})]
    assert order == CONTRACT_NAMES, "graded cells follow the exercises' order"


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_graded_cell_defines_only_its_function_with_the_contract_signature(graded, name):
    (cell,) = graded[name]
    tree = ast.parse(cell.source)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), "one function per graded cell"
    function_def = tree.body[0]
    assert function_def.name == name
    assert signature_of(function_def) == contract_signature(name)
    doc = ast.get_docstring(function_def)
    assert doc and "Returns" in doc, "the docstring gives the shapes of the arguments and of what comes back"


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_stub_raises_not_implemented_error(graded, name):
    (cell,) = graded[name]
    function_def = ast.parse(cell.source).body[0]
    last = function_def.body[-1]
    assert isinstance(last, ast.Raise) and ast.unparse(last.exc).startswith("NotImplementedError(")
    namespace = {"np": np}
    exec(compile(cell.source, f"<stub {name}>", "exec"), namespace)
    names, defaults, _ = contract_signature(name)
    arguments = [None for argument in names if argument not in defaults]
    with pytest.raises(NotImplementedError, match=name):
        namespace[name](*arguments)


# --------------------------------------------------------------------------- the rest of the notebook

def test_handout_loading_lines_appear_verbatim(nb):
    markdown = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for line in HANDOUT_LINES:
        assert line in markdown


def test_imports_cell_comes_first_with_the_lab_imports(nb):
    first = code_cells(nb)[0]
    assert first.metadata["week6"] == {"role": "imports"}
    assert first.source.splitlines()[:-1] == IMPORT_LINES      # then the given keep_going helper's import


def test_no_cell_imports_reference(nb):
    for cell in code_cells(nb):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                assert not any(alias.name.split(".")[0] == "reference" for alias in node.names)
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0 and (node.module or "").split(".")[0] != "reference"


def test_settings_cell_holds_the_reference_training_settings(nb):
    (cell,) = code_cells(nb, "settings")
    namespace = {}
    exec(cell.source, namespace)
    assert namespace["METHOD"] == training.METHOD
    assert namespace["OPTIONS"] == training.OPTIONS
    assert namespace["RESTARTS"] == training.RESTARTS
    for key, setup in training.SETUPS.items():
        suffix = key.upper()
        assert namespace[f"LAYER_SIZES_{suffix}"] == list(setup.layer_sizes)
        assert namespace[f"LAM_{suffix}"] == setup.lam
        assert namespace.get(f"ACTIVATION_{suffix}", "sigmoid") == setup.activation
    assert namespace["LAM_2"] == 1e-6 and namespace["LAYER_SIZES_2"] == [2, 10, 10, 10, 10, 1]


def test_given_unpack_matches_reference(nb):
    given = code_cells(nb, "given")
    namespace = {"np": np}
    for cell in given:
        exec(cell.source, namespace)
    rng = np.random.default_rng(0)
    for sizes in ([2, 3, 1], [2, 10, 10, 10, 10, 1], [2, 5, 3]):
        assert namespace["n_params"](sizes) == reference.n_params(sizes)
        W = rng.normal(size=reference.n_params(sizes))
        ours, theirs = namespace["unpack"](W, sizes), reference.unpack(W, sizes)
        assert len(ours) == len(theirs)
        for (W_l, b_l), (R_l, r_l) in zip(ours, theirs):
            np.testing.assert_array_equal(W_l, R_l)
            np.testing.assert_array_equal(b_l, r_l)
    with pytest.raises(ValueError):
        namespace["unpack"](np.zeros(5), [2, 3, 1])


def test_gradient_check_helper_tells_right_from_wrong(nb):
    namespace = {"np": np}
    for cell in code_cells(nb, "given"):
        exec(cell.source, namespace)
    check = namespace["gradient_check"]
    W = np.random.default_rng(1).normal(size=6)
    assert check(lambda w: np.sum(w ** 3), lambda w: 3 * w ** 2, W) < 1e-8
    assert check(lambda w: np.sum(w ** 3), lambda w: 2 * w ** 2, W) > 1e-2


def test_selfcheck_is_the_last_code_cell(nb):
    last = code_cells(nb)[-1]
    assert last.source == SELFCHECK_SOURCE
    assert last.metadata["week6"] == {"role": "selfcheck"}


def test_every_code_cell_compiles(nb):
    for cell in code_cells(nb):
        compile(cell.source, f"<cell {cell.id}>", "exec")


def test_unfilled_template_runs_to_the_end_without_an_error(tmp_path):
    """Run as a student first opens it, without allow_errors (as "Run All" and a plain
    `nbconvert --execute` do): no cell raises, each cell that calls a stub says which function
    is not written yet, and the self-check cell at the end runs."""
    from nbclient import NotebookClient

    for mat in (ROOT / "data").glob("*.mat"):
        shutil.copy(mat, tmp_path)
    (tmp_path / "week6_selfcheck.py").write_text("def run_selfcheck(ns):\n    print('selfcheck ran')\n")
    shutil.copy(ROOT / "student_template" / "keep_going.py", tmp_path)
    nb = nbformat.read(str(TEMPLATE), as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert [(cell.id, output.ename) for cell in code_cells(nb) for output in cell.outputs
            if output.output_type == "error"] == []
    said = {cell.id: "".join(output.get("text", "") for output in cell.outputs) for cell in code_cells(nb, "run")}
    calling_stubs = {cell_id for cell_id, text in said.items() if "Not run yet" in text}
    assert calling_stubs == {cell.id for cell in code_cells(nb, "run") if cell.id != "unpack-demo"}
    assert "Not run yet: load_data is not written yet." in said["ex1a-plot"]
    assert "needs `X`, which a cell above makes once load_data is written" in said["ex1c-check"]
    assert "selfcheck ran" in "".join(o.get("text", "") for o in code_cells(nb)[-1].outputs)


def test_every_run_cell_runs_inside_keep_going(nb):
    for cell in code_cells(nb, "run"):
        code = [line for line in cell.source.splitlines() if not line.startswith("#")]
        assert code[0] == "with keep_going():", cell.id
        assert all(line.startswith("    ") or not line for line in code[1:]), cell.id
    first_run = next(i for i, cell in enumerate(nb.cells) if cell.metadata.get("week6", {}).get("role") == "run")
    imports = next(i for i, cell in enumerate(nb.cells) if cell.metadata.get("week6", {}).get("role") == "imports")
    assert imports < first_run


def test_keep_going_is_one_import_of_a_shipped_module_not_a_cell_of_its_own(nb):
    """The helper ships as keep_going.py, next to the notebook (and in the grader's working directory);
    the notebook imports it in its imports cell and defines nothing of it."""
    from student_template.week6_selfcheck import NOTEBOOK_FILES, SHIPPED_FILES
    (imports,) = code_cells(nb, "imports")
    assert "from keep_going import keep_going" in imports.source.splitlines()[-1]
    assert not any("class keep_going" in cell.source for cell in code_cells(nb))
    assert "keep_going.py" in NOTEBOOK_FILES and "keep_going.py" in SHIPPED_FILES


def test_the_notebook_names_the_self_check_command_the_bundle_has(nb):
    """A student's bundle has no Makefile: the command the introduction gives is the shipped script's."""
    from student_template.week6_selfcheck import SHIPPED_FILES
    intro = nb.cells[0].source
    commands = re.findall(r"`(python [^`]+)`", intro)
    assert commands == ["python week6_selfcheck.py week6_backprop.ipynb"]
    assert commands[0].split()[1] in SHIPPED_FILES and "make " not in intro
