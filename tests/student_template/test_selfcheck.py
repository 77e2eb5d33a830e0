"""The student's self-check (student_template/week6_selfcheck.py and its files) and its fixture.

The self-check runs without the reference: it runs the checks listed in
student_template/public_fixture.json and compares with the values there, which
tools/build_public_fixture.py computes from the assignment's public sections and the reference.
These tests check that the two still agree, that every exercise's checks name cases of the
fixture, that the reference passes every public check, that typical mistakes fail the right
checks and only those, that a blank template reports "not implemented" without crashing, that
a fixture the self-check cannot run is refused clearly, that student_template/ stands alone
(numpy, the Jupyter packages and its own files), and that the notebook runner works on the
bundled example.
"""
import ast
import io
import json
import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import assignment  # noqa: E402
import reference  # noqa: E402
from assignment import ex1b_sigmoid, ex3_multiclass  # noqa: E402
from reference.params import unpack  # noqa: E402
from student_template import check_notebook as runner  # noqa: E402
from student_template import public_checks  # noqa: E402
from student_template import selfcheck_files, selfcheck_report  # noqa: E402
from student_template import week6_selfcheck as selfcheck  # noqa: E402
from tools import build_public_fixture as generator  # noqa: E402

STUDENT_TEMPLATE = ROOT / "student_template"
GENERATOR = ROOT / "tools" / "build_public_fixture.py"
EXAMPLE = ROOT / "examples" / "example_submission.ipynb"
TEMPLATE = ROOT / "student_template" / "week6_backprop.ipynb"
CONTRACT_NAMES = [name for names in assignment.CONTRACT_FUNCTIONS.values() for name in names]
DATA_CHECKS = {"load_data returns X (N, 2) and t (N,)", "load_data: class 1 rows first, labels 0 then 1",
               "load_data_multiclass: X (N, 2), labels 0, 1, 2 in file order"}


def reference_namespace(**overrides):
    namespace = {name: getattr(reference, name) for name in CONTRACT_NAMES}
    namespace.update(overrides)
    return namespace


@pytest.fixture
def in_data_dir(tmp_path, monkeypatch):
    """cwd = a directory holding the .mat files, as next to a student's notebook."""
    for mat in (ROOT / "data").glob("*.mat"):
        shutil.copy(mat, tmp_path / mat.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def statuses(results):
    return {result.name: result.status for result in results}


def failed_names(results):
    return {result.name for result in results if result.status == "failed"}


def assert_close_tree(ours, theirs, path="fixture"):
    """Same structure, same ints and strings, floats equal to 1e-10 relative."""
    assert type(ours) is type(theirs) or {type(ours), type(theirs)} <= {int, float}, path
    if isinstance(ours, dict):
        assert list(ours) == list(theirs), path
        for key in ours:
            assert_close_tree(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(ours, list):
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close_tree(a, b, f"{path}[{i}]")
    elif isinstance(ours, float):
        assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-13), path
    else:
        assert ours == theirs, path


# --------------------------------------------------------------------------- the fixture
def test_committed_fixture_is_what_the_generator_writes():
    """Equal up to the last bits of a float (numpy versions and BLAS differ there); checks, ids and
    every int and string exactly."""
    assert generator.FIXTURE == selfcheck_files.FIXTURE_PATH
    committed = json.loads(generator.FIXTURE.read_text(encoding="utf-8"))
    assert_close_tree(generator.build(), committed)


def test_generator_check_mode_flags_a_stale_fixture(tmp_path):
    stale = tmp_path / "public_fixture.json"
    fixture = json.loads(selfcheck_files.FIXTURE_PATH.read_text(encoding="utf-8"))
    fixture["checks"] = fixture["checks"][1:]
    stale.write_text(json.dumps(fixture), encoding="utf-8")
    done = subprocess.run([sys.executable, str(GENERATOR), "--check", "--out", str(stale)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "is out of date: run python tools/build_public_fixture.py" in done.stderr
    written = tmp_path / "fresh.json"
    assert subprocess.run([sys.executable, str(GENERATOR), "--out", str(written)], capture_output=True,
                          timeout=120).returncode == 0
    assert subprocess.run([sys.executable, str(GENERATOR), "--check", "--out", str(written)], capture_output=True,
                          timeout=120).returncode == 0


@pytest.mark.parametrize("exercise", assignment.EXERCISES, ids=assignment.EXERCISE_IDS)
def test_each_exercise_declares_public_checks_on_cases_of_the_fixture(exercise):
    fixture = selfcheck.load_fixture()
    declared = exercise.public_checks
    assert declared, f"exercise {exercise.id} has no public check"
    listed = [entry for entry in fixture["checks"] if entry["exercise"] == exercise.id]
    assert listed == declared
    for entry in declared:
        assert entry["id"].startswith(f"{exercise.id}-") and entry["kind"] in public_checks.KINDS
        assert entry["cases"] and set(entry["cases"]) <= set(fixture["cases"]), entry["id"]
        functions = {fixture["cases"][case_id]["func"] for case_id in entry["cases"]}
        assert functions & set(exercise.functions) or entry["kind"] == "loss_and_grad", entry["id"]


@pytest.mark.parametrize("exercise", assignment.EXERCISES, ids=assignment.EXERCISE_IDS)
def test_the_public_section_rebinds_no_name_of_the_other_sections(exercise):
    """An exercise module's sections share one namespace: a public constant named like a probe's would
    silently replace it (SOFTMAX_LARGE once did)."""
    tree = ast.parse(Path(exercise.module.__file__).read_text(encoding="utf-8"))
    bound = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            bound += [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.append(node.name)
    assert sorted(name for name in set(bound) if bound.count(name) > 1) == []


def test_check_ids_are_unique_and_kinds_match_between_the_kit_and_the_self_check():
    from assignment.kit import public
    ids = [entry["id"] for entry in selfcheck.load_fixture()["checks"]]
    assert len(ids) == len(set(ids))
    assert set(public.KINDS) == set(public_checks.KINDS)
    with pytest.raises(ValueError, match="unknown kind 'tanh_values'"):
        public.check("x-1", "a check", "tanh_values", ["relu-values"])
    with pytest.raises(ValueError, match="takes no exact"):
        public.check("x-1", "a check", "stable", ["relu-values"], exact=True)


def test_shared_inputs_are_drawn_once_for_the_exercises_that_share_them():
    cases = selfcheck.load_fixture()["cases"]
    for first, second in (("bce_loss-lam", "bce_grad-lam"), ("backprop-relu", "backprop-lam")):
        for name in ("X", "t") + (("W",) if first.startswith("bce") else ()):
            assert cases[first]["args"][name] == cases[second]["args"][name], (first, second, name)


def test_a_new_exercise_reaches_the_self_check_through_its_module_alone(in_data_dir, tmp_path, monkeypatch, capsys):
    """An exercise module with a public section adds its cases and checks to the fixture, and the
    shipped self-check runs them with no change of its own."""
    from assignment.kit.exercise import Exercise
    from assignment.kit.public import check
    extra = types.ModuleType("assignment.bonus_extra")
    extra.ID, extra.TITLE, extra.POINTS, extra.FUNCTIONS, extra.BONUS = "extra", "More relu", 1, ("relu",), True
    extra.public_cases = lambda cases: cases.value("relu-more", "relu", a=[[-2.0, 0.5], [3.0, -0.5]])
    extra.PUBLIC_CHECKS = [check("extra-relu-more", "relu on more values", "values", ["relu-more"], hint="maximum")]
    monkeypatch.setattr(generator, "EXERCISES", [*assignment.EXERCISES, Exercise.of(extra)])
    path = tmp_path / "public_fixture.json"
    path.write_text(generator.render(), encoding="utf-8")
    monkeypatch.setattr(selfcheck_files, "FIXTURE_PATH", path)
    results = selfcheck.run_selfcheck(reference_namespace(), verbose=False)
    assert [r.check for r in results][-1] == "extra-relu-more" and results.all_passed
    results = selfcheck.run_selfcheck(reference_namespace(relu=lambda a: np.abs(a)))
    assert failed_names(results) == {"relu values", "relu on more values"}
    assert "Bonus: relu  (0/1 passed)" in capsys.readouterr().out   # the new exercise under its own heading


@pytest.mark.parametrize("spoil, words", [
    (lambda f: f["checks"][3].update(kind="tanh_values"), "has the kind 'tanh_values', which this self-check does not know"),
    (lambda f: f["checks"][3].update(cases=["no-such-case"]), "names the case(s) no-such-case"),
    (lambda f: f.update(format=1), f"format 1 and this self-check reads format {public_checks.FORMAT}"),
    (lambda f: f.pop("checks"), "it lists no checks or no cases"),
])
def test_a_fixture_the_self_check_cannot_run_is_refused_clearly(tmp_path, monkeypatch, capsys, spoil, words):
    fixture = json.loads(selfcheck_files.FIXTURE_PATH.read_text(encoding="utf-8"))
    spoil(fixture)
    path = tmp_path / "public_fixture.json"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    monkeypatch.setattr(selfcheck_files, "FIXTURE_PATH", path)
    assert selfcheck.run_selfcheck(reference_namespace()) == []
    assert words in capsys.readouterr().out
    assert runner.check_notebook(EXAMPLE) == runner.CANNOT_CHECK
    assert words in capsys.readouterr().err


def test_fixture_inputs_are_public_and_differ_from_the_hidden_ones():
    fixture = selfcheck.load_fixture()
    cases = fixture["cases"]
    assert fixture["tolerances"]["rtol"] <= 1e-6
    assert {-1000.0, 1000.0} <= set(cases["sigmoid-extreme"]["args"]["a"])
    assert isinstance(cases["sigmoid-scalar"]["args"]["a"], float)
    assert cases["softmax-large"]["args"]["A"] != ex3_multiclass.LARGE_LOGITS.tolist()
    assert cases["sigmoid-extreme"]["args"]["a"] != ex1b_sigmoid.STABILITY_INPUTS.tolist()
    network = [case for case in cases.values() if "W" in case["args"]]
    assert {tuple(c["args"]["layer_sizes"]) for c in network} == {(2, 3, 1), (2, 3, 2, 1), (2, 4, 3)}
    for case in network:   # every bias nonzero: regularizing the biases shows in the lam > 0 cases
        W = np.array(case["args"]["W"])
        assert all(np.all(np.abs(b) > 1e-6) for _, b in unpack(W, case["args"]["layer_sizes"]))
    assert {c["args"]["lam"] for c in network if "lam" in c["args"]} == {0.0, 0.1}
    assert cases["backprop-relu"]["kwargs"] == {"activation": "relu"}


# --------------------------------------------------------------------------- run_selfcheck
def test_reference_passes_every_public_check_quickly(in_data_dir, capsys):
    started = time.monotonic()
    results = selfcheck.run_selfcheck(reference_namespace())
    assert time.monotonic() - started < 5
    assert len(results) == len(selfcheck.load_fixture()["checks"]) >= 25
    assert [r for r in results if not r.passed] == []
    assert [r.check for r in results] == [e["id"] for e in selfcheck.load_fixture()["checks"]]
    assert {r.exercise for r in results} == set(assignment.EXERCISE_IDS)
    out = capsys.readouterr().out
    assert f"public checks: {len(results)}/{len(results)} passed" in out
    assert "not your grade" in out and "\u2717" not in out
    assert repr(results) == f"<public checks: {len(results)}/{len(results)} passed>"


def test_without_data_files_the_data_checks_are_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    results = selfcheck.run_selfcheck(reference_namespace())
    assert {r.name for r in results if r.status == "skipped"} == DATA_CHECKS
    assert all(r.passed for r in results if r.name not in DATA_CHECKS)
    assert "skipped: data files not found" in capsys.readouterr().out


def bce_grad_without_the_2(W, X, t, layer_sizes, lam):
    """A typical mistake: lam * W_l instead of 2 * lam * W_l for the penalty's gradient."""
    grad = reference.bce_grad(W, X, t, layer_sizes, lam)
    for (G_l, _), (W_l, _) in zip(unpack(grad, layer_sizes), unpack(np.asarray(W, dtype=float), layer_sizes)):
        G_l -= lam * W_l
    return grad


def test_a_wrong_bce_grad_fails_the_bce_grad_checks_only(in_data_dir, capsys):
    results = selfcheck.run_selfcheck(reference_namespace(bce_grad=bce_grad_without_the_2))
    assert failed_names(results) == {"bce_grad with regularization (lam = 0.1)",
                                     "bce_grad is the derivative of your own bce_loss (finite differences)"}
    assert all(r.passed for r in results if r.exercise != "1d")
    wrong = next(r for r in results if r.name == "bce_grad with regularization (lam = 0.1)")
    assert "2 * lam * W_l" in wrong.hint and "first difference at index [" in wrong.got
    out = capsys.readouterr().out
    assert "\u2717 bce_grad with regularization" in out and "expected:" in out and "hint:" in out
    assert f"public checks: {len(results) - 2}/{len(results)} passed (2 failed)" in out


def naive_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


def naive_softmax(A):
    E = np.exp(A)
    return E / E.sum(axis=1, keepdims=True)


def loss_with_biases(W, X, t, layer_sizes, lam):
    return reference.bce_loss(W, X, t, layer_sizes, 0.0) + lam * float(np.sum(np.asarray(W) ** 2))


def init_from_np_random(layer_sizes, rng):
    return np.random.uniform(-0.1, 0.1, size=reference.n_params(layer_sizes))


@pytest.fixture
def numpy_global_random_state_kept():
    """init_from_np_random draws from numpy's global state, as the mistake does in a student's
    notebook: put the state back for the tests after this one."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def init_normal(layer_sizes, rng):
    W = np.zeros(reference.n_params(layer_sizes))
    for (W_l, _), (n_in, n_out) in zip(unpack(W, layer_sizes), zip(layer_sizes[:-1], layer_sizes[1:])):
        limit = np.sqrt(2 / (n_in + n_out))
        W_l[...] = np.clip(rng.normal(0, limit / 2, size=W_l.shape), -limit, limit)
    return W


def backprop_returning_the_loss_only(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return reference.backprop(W, X, t, layer_sizes, lam, activation)[0]


def ce_backprop_raising(W, X, t, layer_sizes, lam, activation="sigmoid"):
    return X @ np.asarray(W)


def load_data_shuffled():
    X, t = reference.load_data()
    order = np.random.default_rng(0).permutation(len(t))
    return X[order], t[order]


def predict_returning_none(W, X, layer_sizes):
    return None


EVERY_CHECK_CALLING = "every check that calls the function"


def checks_calling(func):
    """The names of the public checks (the fixture's, from the exercises' PUBLIC_CHECKS) whose cases call ``func``."""
    fixture = selfcheck.load_fixture()
    return {entry["name"] for entry in fixture["checks"]
            if any(fixture["cases"][case_id]["func"] == func for case_id in entry["cases"])}


@pytest.mark.parametrize("overrides, failing, words", [
    ({"sigmoid": naive_sigmoid},
     {"sigmoid is stable for |a| up to 1000 (no warning, no NaN)"}, "overflow"),
    ({"softmax": naive_softmax}, {"softmax is stable for logits of 1000"}, "maximum"),
    ({"bce_loss": loss_with_biases},
     {"bce_loss with regularization (lam = 0.1, biases not regularized)",
      "bce_grad is the derivative of your own bce_loss (finite differences)"}, "includes the biases"),
    ({"init_weights": init_from_np_random},
     {"init_weights: random, drawn from rng, spread uniformly"}, "rng"),
    ({"init_weights": init_normal}, {"init_weights: random, drawn from rng, spread uniformly"}, "uniform"),
    # a function that returns nothing usable fails every check that calls it, whichever exercise it is in
    ({"backprop": backprop_returning_the_loss_only}, EVERY_CHECK_CALLING, "return loss, grad"),
    ({"ce_backprop": ce_backprop_raising}, EVERY_CHECK_CALLING, "raised ValueError"),
    ({"load_data": load_data_shuffled}, {"load_data: class 1 rows first, labels 0 then 1"}, "row"),
    ({"predict": predict_returning_none}, EVERY_CHECK_CALLING, "predict"),
    ({"relu": 42}, EVERY_CHECK_CALLING, "function"),
])
def test_typical_mistakes_fail_their_checks_only(in_data_dir, numpy_global_random_state_kept, overrides, failing,
                                                 words):
    results = selfcheck.run_selfcheck(reference_namespace(**overrides), verbose=False)
    if failing is EVERY_CHECK_CALLING:
        (broken,) = overrides
        failing = checks_calling(broken)
        assert failing, f"no public check calls {broken}"
    assert failed_names(results) == failing
    assert all(r.status in ("passed", "failed") for r in results)
    text = " ".join(f"{r.expected} {r.got} {r.hint}" for r in results if not r.passed)
    assert words in text


def template_namespace():
    """The blank template's definitions: its imports and functions (stubs raising NotImplementedError)."""
    namespace = {}
    for cell in nbformat.read(str(TEMPLATE), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        keep = [node for node in ast.parse(cell.source).body
                if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))
                and not (isinstance(node, ast.ImportFrom) and node.module in ("week6_selfcheck", "keep_going"))]
        exec(compile(ast.Module(keep, type_ignores=[]), "<template>", "exec"), namespace)
    return namespace


def test_blank_template_is_not_implemented_everywhere(in_data_dir, capsys):
    namespace = template_namespace()
    assert set(CONTRACT_NAMES) <= set(namespace)
    results = selfcheck.run_selfcheck(namespace)
    assert {r.status for r in results} == {"not implemented"}
    out = capsys.readouterr().out
    assert f"public checks: 0/{len(results)} passed ({len(results)} not written yet)" in out
    assert "is not implemented yet (exercise 1c)" in out   # the stub's own message is shown


def test_an_empty_namespace_and_a_module_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = selfcheck.run_selfcheck({}, verbose=False)
    assert {r.status for r in results} == {"not implemented", "skipped"}
    assert all("is not defined" in r.got for r in results if r.status == "not implemented")
    assert selfcheck.run_selfcheck(reference, verbose=False).tally("passed") == len(results) - len(DATA_CHECKS)


def test_ascii_terminals_get_ascii_symbols():
    stream = io.StringIO()   # encoding None: treated as ASCII
    selfcheck_report.print_text("  \u2713 sigmoid values\n  \u2717 relu values \u2014 x", stream)
    assert stream.getvalue() == "  ok sigmoid values\n  XX relu values ? x\n"


# --------------------------------------------------------------------------- standing alone
def imported_modules(path):
    """(top-level imports, imports inside functions, relative imports) of a module, by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top, nested, relative = set(), set(), set()
    top_nodes = set(map(id, tree.body)) | {id(n) for node in tree.body if isinstance(node, ast.Try)
                                           for n in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:      # from .x import y, or from . import x
                relative.update([node.module] if node.module else [alias.name for alias in node.names])
                continue
            names = {node.module}
        else:
            continue
        (top if id(node) in top_nodes else nested).update(name.split(".")[0] for name in names)
    return top, nested, relative


SIBLINGS = {Path(name).stem for name in selfcheck.SHIPPED_FILES if name.endswith(".py")}   # imported by name when shipped
JUPYTER = {"nbformat", "nbclient", "jupyter_client", "traitlets"}
PROJECT = {"grader", "reference", "assignment", "tools", "student_template"}


def test_student_template_imports_nothing_of_the_project():
    # build_template.py writes the notebook from the assignment: a tool, moving to tools/ (issue 12)
    modules = [path for path in STUDENT_TEMPLATE.glob("*.py") if path.name != "build_template.py"]
    assert {path.name for path in modules} == {name for name in selfcheck.SHIPPED_FILES if name.endswith(".py")} | {
        "__init__.py"}
    for path in modules:
        top, nested, relative = imported_modules(path)
        assert not (top | nested) & PROJECT, path.name
        assert relative <= SIBLINGS, path.name


def test_shipped_files_import_only_numpy_each_other_and_the_stdlib():
    """numpy at the top (a notebook needs nothing else); Jupyter's packages inside the runner's functions."""
    stdlib = set(sys.stdlib_module_names)
    for name in selfcheck.SHIPPED_FILES:
        if not name.endswith(".py"):
            continue
        top, nested, relative = imported_modules(STUDENT_TEMPLATE / name)
        assert top - stdlib <= {"numpy"} | SIBLINGS, name
        assert nested - stdlib <= JUPYTER | SIBLINGS, name
    top, nested, relative = imported_modules(STUDENT_TEMPLATE / "written_answers.py")
    assert top | nested | relative <= stdlib
    top, nested, _ = imported_modules(STUDENT_TEMPLATE / "check_notebook.py")
    assert JUPYTER <= nested and not JUPYTER & top


def test_the_shipped_files_are_listed_once_and_all_exist():
    assert set(selfcheck.NOTEBOOK_FILES) <= set(selfcheck.SHIPPED_FILES)
    assert len(set(selfcheck.SHIPPED_FILES)) == len(selfcheck.SHIPPED_FILES)
    assert all((STUDENT_TEMPLATE / name).is_file() for name in selfcheck.SHIPPED_FILES)


def shipped_copy(directory):
    """The self-check's files, as a student gets them (without the data)."""
    for name in selfcheck.SHIPPED_FILES:
        shutil.copy(STUDENT_TEMPLATE / name, directory / name)
    return directory


def test_shipped_copy_runs_on_its_own(tmp_path):
    shipped_copy(tmp_path)
    code = ("import sys, week6_selfcheck as w\n"
            "def sigmoid(a):\n    import numpy as np\n    return np.exp(-np.logaddexp(0, -np.asarray(a, float)))\n"
            "r = w.run_selfcheck({'sigmoid': sigmoid})\n"
            "assert r.tally('passed') == 2, r\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('reference', 'grader', 'assignment', 'student_template', 'scipy', 'nbclient')]\n")
    env = {**os.environ, "PYTHONPATH": ""}
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "public checks: 2/" in run.stdout and "skipped: data files not found" in run.stdout
    usage = subprocess.run([sys.executable, "week6_selfcheck.py"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 2 and "usage: python week6_selfcheck.py [-h]" in usage.stderr and "NOTEBOOK" in usage.stderr
    helped = subprocess.run([sys.executable, "week6_selfcheck.py", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "Exit status: 0 when every public check passes" in helped.stdout


# --------------------------------------------------------------------------- check_notebook
def test_check_notebook_on_the_example_passes_everything(capsys):
    assert runner.check_notebook(EXAMPLE) == 0
    out = capsys.readouterr().out
    total = len(selfcheck.load_fixture()["checks"])
    assert f"public checks: {total}/{total} passed" in out
    assert out.count("Week 6 self-check: public tests") == 1   # the notebook's own self-check cell is not run twice
    assert "No notebook cell raised an error." in out


def partial_notebook(tmp_path):
    """A notebook with sigmoid (unstable), relu, and a top-level call of a function it never defines."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A partial submission\n\n## 1a. Loading"),
                nbformat.v4.new_code_cell("import numpy as np\n"
                                          "def sigmoid(a):\n    return 1 / (1 + np.exp(-np.asarray(a, dtype=float)))"),
                nbformat.v4.new_code_cell("# load the data\nwith keep_going():\n    X, t = load_data()"),
                nbformat.v4.new_code_cell("def relu(a):\n    return np.maximum(a, 0)")]
    path = tmp_path / "partial.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_check_notebook_names_cells_by_their_first_line_and_fails_when_a_check_does(tmp_path, capsys):
    nb_path = partial_notebook(tmp_path)
    assert runner.check_notebook(nb_path) == 1
    out = capsys.readouterr().out
    assert "\u2713 sigmoid values (vector and matrix)" in out
    assert "\u2717 sigmoid is stable for |a| up to 1000" in out and "overflow" in out
    assert "\u2713 relu values" in out and "not written yet" in out
    assert "Notebook cells that raised an error (1):" in out
    assert ("the cell `X, t = load_data()` (under \"1a. Loading\"): NameError: name 'keep_going' is not defined"
            in out)
    assert "cell 2" not in out
    assert "Not every public check passes yet (exit status 1)." in out


def test_describe_cell_skips_comments_and_the_keep_going_line():
    cells = [nbformat.v4.new_markdown_cell("Some text\n### 1c. The loss (15 points)\nmore"),
             nbformat.v4.new_code_cell("# With all parameters zero ...\nwith keep_going():\n    W_zero = np.zeros(3)"),
             nbformat.v4.new_code_cell("")]
    assert runner.describe_cell(cells, 1) == 'the cell `W_zero = np.zeros(3)` (under "1c. The loss (15 points)")'
    assert runner.describe_cell(cells[1:], 1) == "the cell `(empty)`"


def test_check_notebook_cannot_read(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    assert runner.check_notebook(broken) == 2
    assert runner.check_notebook(tmp_path / "missing.ipynb") == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_missing_package_is_an_environment_problem_with_a_one_line_hint(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "RUNNER_MODULES", runner.RUNNER_MODULES + ("week6_no_such_module",))
    assert runner.check_notebook(EXAMPLE) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "week6_no_such_module" in err
    assert err.endswith(f"{sys.executable} -m pip install numpy scipy matplotlib jupyter")


def test_missing_data_files_are_an_environment_problem(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "DATA_DIR", tmp_path / "no-data")
    alone = tmp_path / "alone.ipynb"
    alone.write_bytes(EXAMPLE.read_bytes())
    assert runner.check_notebook(alone) == 2
    err = capsys.readouterr().err
    assert "pointsClass1Week6.mat" in err and "xWeek6Ex3PointsClass3.mat" in err and "not next to alone.ipynb" in err


def test_a_kernel_that_dies_fails_the_check(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nos._exit(3)")]
    path = tmp_path / "dies.ipynb"
    nbformat.write(nb, str(path))
    assert runner.check_notebook(path) == 1
    assert "The kernel died in the cell `import os`" in capsys.readouterr().out


def test_grader_check_and_make_check_exit_like_the_command(tmp_path):
    """`python -m grader check` returns the command's status; make turns any non-zero one into its own 2."""
    blank = subprocess.run([sys.executable, "-m", "grader", "check", str(TEMPLATE)], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert blank.returncode == 1, blank.stdout + blank.stderr
    unreadable = tmp_path / "broken.ipynb"
    unreadable.write_text("{", encoding="utf-8")
    assert subprocess.run([sys.executable, "-m", "grader", "check", str(unreadable)], cwd=ROOT,
                          capture_output=True, timeout=120).returncode == 2
    made = subprocess.run(["make", "-s", "check", f"NOTEBOOK={TEMPLATE}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode != 0 and "Not every public check passes yet (exit status 1)." in made.stdout


def test_an_error_inside_a_function_names_the_function_and_the_cell_it_is_in(tmp_path, capsys):
    """A bug in a finished function, hit by a demo cell in keep_going: the demo cell is listed by its
    first line, and the function that raised by its name and the first line of its own cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np"), nbformat.v4.new_code_cell("from keep_going import keep_going"),
                nbformat.v4.new_markdown_cell("### 1b. The sigmoid"),
                nbformat.v4.new_code_cell("# Graded\ndef sigmoid(a):\n    return np.asarray(a).reshape(7)"),
                nbformat.v4.new_code_cell("with keep_going():\n    print(sigmoid(np.zeros(3)))"),
                nbformat.v4.new_code_cell("print('after')")]
    path = tmp_path / "bug.ipynb"
    nbformat.write(nb, str(path))
    assert runner.check_notebook(path) == 1
    out = capsys.readouterr().out
    assert ("the cell `print(sigmoid(np.zeros(3)))` (under \"1b. The sigmoid\"): ValueError: cannot reshape array "
            "of size 3 into shape (7,) (raised in sigmoid, in the cell `def sigmoid(a):`)") in out
    assert "Notebook cells that raised an error (1):" in out


def test_one_exercise_at_a_time_reuses_the_run_of_an_unchanged_notebook(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "RUN_CACHE", tmp_path / "runs")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np\n"
        "def sigmoid(a):\n    return np.exp(-np.logaddexp(0, -np.asarray(a, dtype=float)))\n"
        "def sigmoid_grad(a):\n    s = sigmoid(a)\n    return s * (1 - s)")]
    path = tmp_path / "sigmoid.ipynb"
    nbformat.write(nb, str(path))
    assert runner.check_notebook(path, ["1b"]) == 0
    out = capsys.readouterr().out
    assert "Running sigmoid.ipynb" in out and "Exercise 1b: sigmoid, sigmoid_grad  (5/5 passed)" in out
    assert "Exercise 1a" not in out and "Exercise(s) 1b: every public check passed." in out
    assert runner.check_notebook(path, ["1a", "1c"]) == 1
    out = capsys.readouterr().out
    assert "Running" not in out and "a moment ago" in out and "not written yet" in out and "Exercise 1b" not in out
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))   # a changed notebook is run again
    nbformat.write(nb, str(path))
    assert runner.check_notebook(path, ["1b"]) == 0
    assert "Running sigmoid.ipynb" in capsys.readouterr().out
    assert selfcheck.main([str(path), "--exercise", "1b"]) == 0
    with pytest.raises(SystemExit) as usage:
        selfcheck.main([str(path), "--exercise", "4"])
    assert usage.value.code == 2
