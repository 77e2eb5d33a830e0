"""Grading time per submission, side by side with the bare execution of the same notebook, under
each sandbox level, and with nbgrader's ``autograde`` on an equivalent assignment (issues 7, 10).

On ``examples/example_submission.ipynb``, REPS times each, interleaved (the order rotates
every repetition), every one a fresh process in a fresh directory:

* **bare**: ``jupyter nbconvert --to notebook --execute`` in a directory holding copies of
  ``data/*.mat`` and of the files the template's last cell imports
  (``student_template.week6_selfcheck.NOTEBOOK_FILES``);
* **grader**: ``python -m grader grade NOTEBOOK --out TMP --sandbox LEVEL`` at the level
  ``auto`` picks here (:func:`grader.kernel.sandbox.resolve_level`; ``none`` where it refuses), its
  reference cache (``WEEK6_GRADER_CACHE``) in a directory of the bench's own: one *cold* run
  with the cache empty comes first and is reported apart, the REPS runs after it find the
  cache filled;
* **grader, uid level**: the same with ``--sandbox uid`` where that level can be made here
  (the grader is root) and ``auto`` picked bwrap: the ratio uid / bwrap is the uid level's
  cost (aim <= 1.10);
* **grader, no sandbox**: the same with ``--sandbox none`` (what the confinement costs);
* **nbgrader**: ``nbgrader autograde`` of the same notebook turned into an nbgrader
  assignment: hidden autograder test cells, one per exercise with the contract's points,
  asserting the main functions' values against the reference's (on fixed random inputs),
  finite differences of the student's own loss for 1d and 2, and one training check
  (exercise 2's network trained from one fixed initialization with the template's settings,
  accuracy at least the reference's from that start minus 0.03). nbgrader lives in a
  benchmark-only virtualenv (``bench/.venv-nbgrader``, made here with
  ``pip install nbgrader==NBGRADER_VERSION`` when missing; never in requirements.lock).
  ``generate_assignment`` runs once and is timed apart; each repetition autogrades a fresh
  copy of the course (a new gradebook each time).

Every kernel is the project's venv Python with the same environment (one BLAS thread,
``MPLBACKEND=Agg``: the grader's sandbox sets it, so the bare and nbgrader kernels get it too
and nobody renders inline PNGs the others do not). Wall-clock medians; each ratio is the median
of the per-repetition ratios (the two contenders of one repetition ran one after the other, under
the same load). The machine is shared: the load average is printed at the start, beside every
repetition and at the end, and a ratio whose repetitions disagree by more than DISAGREEMENT
(max / min of its per-repetition ratios, minus 1) is printed with a warning that it is no
measurement. Then where the grader's seconds go, from ``results.json``'s ``extra_data.timings``.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from student_template.week6_selfcheck import NOTEBOOK_FILES

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "example_submission.ipynb"
PYTHON = Path(sys.executable)
JUPYTER = PYTHON.with_name("jupyter")
REPS = int(os.environ.get("GRADING_SPEED_REPS", "3"))
NBGRADER_VERSION = "0.9.6"
NBGRADER_VENV = ROOT / "bench" / ".venv-nbgrader"
ASSIGNMENT = "week6"
STUDENT = "student1"
CELL_TIMEOUT = 600          # seconds per cell for nbconvert and nbgrader (the grader keeps its own limits)
DISAGREEMENT = 0.25         # per-repetition ratios further apart than this: the ratio is flagged
AIMS = {"grader / bare": 1.10, "grader / nbgrader": 0.60, "grader uid / bwrap": 1.10}


def kernel_env(extra=None):
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"})
    env.update(extra or {})
    return env


def assignment_files(directory):
    """The data files and the self-check files a notebook next to them needs."""
    directory = Path(directory)
    for mat in sorted((ROOT / "data").glob("*.mat")):
        shutil.copy(mat, directory / mat.name)
    for name in NOTEBOOK_FILES:
        shutil.copy(ROOT / "student_template" / name, directory / name)


def timed(command, cwd, env, timeout=1800):
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return time.monotonic() - started, done


def tail(done, lines=6):
    text = (done.stderr or "") + (done.stdout or "")
    return "\n    ".join(text.strip().splitlines()[-lines:])


# ----------------------------------------------------------------------- bare

def run_bare():
    work = Path(tempfile.mkdtemp(prefix="week6-bench-bare-"))
    try:
        assignment_files(work)
        shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
        seconds, done = timed([str(JUPYTER), "nbconvert", "--to", "notebook", "--execute",
                               f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}", NOTEBOOK.name,
                               "--output", "executed.ipynb"], work, kernel_env())
        if done.returncode != 0:
            raise RuntimeError(f"nbconvert failed ({done.returncode}):\n    {tail(done)}")
        executed = json.loads((work / "executed.ipynb").read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        return seconds, {"errors": len(errors)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------- grader

def sandbox_levels():
    """(the level auto picks here, or "none" with why it refuses; (uid level possible?, why not))."""
    from grader.config import GraderConfig
    from grader.kernel import sandbox
    uid = sandbox.level_check("uid")
    try:
        return (sandbox.resolve_level(GraderConfig()), ""), uid
    except sandbox.SandboxUnavailable as error:
        return ("none", str(error)), uid


def run_grader(level, cache_dir, tree=ROOT):
    """(wall seconds, results) of grading the example with the grader of ``tree`` (a checkout)."""
    out = Path(tempfile.mkdtemp(prefix="week6-bench-grade-"))
    try:
        command = [str(PYTHON), "-m", "grader", "grade", str(NOTEBOOK), "--out", str(out), "--sandbox", level]
        seconds, done = timed(command, tree, kernel_env({"WEEK6_GRADER_CACHE": str(cache_dir)}))
        if done.returncode != 0:
            raise RuntimeError(f"python -m grader grade failed ({done.returncode}):\n    {tail(done)}")
        results = json.loads((out / NOTEBOOK.stem / "results.json").read_text())
        return seconds, {"score": results["score"], "execution_time": results["execution_time"],
                         "timings": results["extra_data"]["timings"], "status": results["extra_data"]["status"]}
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ------------------------------------------------------------------- nbgrader

def nbgrader_bin(name):
    return NBGRADER_VENV / "bin" / name


def ensure_nbgrader():
    """(True, "") once ``bench/.venv-nbgrader`` holds nbgrader==NBGRADER_VERSION, else (False, why)."""
    python = nbgrader_bin("python")
    check = [str(python), "-c", "import nbgrader; print(nbgrader.__version__)"]
    if python.exists():
        done = subprocess.run(check, capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == NBGRADER_VERSION:
            return True, ""
    print(f"installing nbgrader=={NBGRADER_VERSION} into {NBGRADER_VENV.relative_to(ROOT)} (once) ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(NBGRADER_VENV)], check=True,
                       capture_output=True, text=True)
        done = subprocess.run([str(nbgrader_bin("pip")), "install", "--quiet", "--disable-pip-version-check",
                               f"nbgrader=={NBGRADER_VERSION}"], capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as error:
        return False, f"{type(error).__name__}: {error}"
    if done.returncode != 0:
        return False, f"pip install nbgrader=={NBGRADER_VERSION} failed:\n    {tail(done, 10)}"
    done = subprocess.run(check, capture_output=True, text=True)
    if done.returncode != 0:
        return False, f"nbgrader does not import:\n    {tail(done)}"
    return True, ""


def _array(value):
    return "_np.array(" + json.dumps(np.asarray(value, dtype=float).tolist()) + ")"


def _n_params(sizes):
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def nbgrader_tests():
    """[(exercise, points, source)]: hidden autograder tests, expected values from the reference.

    Inputs are drawn inside each cell from fixed seeds, the same draws as here."""
    import reference
    from reference.training import METHOD, OPTIONS, SETUPS, fit_once

    from assignment.kit.reference_runs import training_inits

    X, t = reference.load_data()
    X3, t3 = reference.load_data_multiclass()
    few = slice(None, None, 33)                       # 13 samples for finite differences
    head = ("import numpy as _np\n"
            "_X, _t = load_data()\n_X3, _t3 = load_data_multiclass()\n"
            "def _close(got, expected, rtol=1e-6, atol=1e-9):\n"
            "    got = _np.asarray(got, dtype=float).reshape(_np.shape(expected))\n"
            "    assert _np.allclose(got, expected, rtol=rtol, atol=atol), (got, expected)\n"
            "def _loss(value):\n"
            "    return float(_np.asarray(value[0] if isinstance(value, tuple) else value, dtype=float).reshape(-1)[0])\n"
            "def _fd_check(loss_fn, grad, W, h=1e-5):\n"
            "    fd = _np.array([(_loss(loss_fn(W + h * e)) - _loss(loss_fn(W - h * e))) / (2 * h)\n"
            "                    for e in _np.eye(W.size)])\n"
            "    _close(grad, fd, rtol=1e-4, atol=1e-7)\n")
    tests = []

    rows = X[::50]
    tests.append(("1a", 5, "### BEGIN HIDDEN TESTS\n" + head +
                  f"assert _X.shape == {X.shape} and _t.shape == {t.shape}\n"
                  f"_close(_X[::50], {_array(rows)})\n"
                  f"assert list(_np.bincount(_np.asarray(_t, dtype=int))) == {np.bincount(t).tolist()}\n"
                  f"assert int(_t[0]) == 0 and int(_t[-1]) == 1\n### END HIDDEN TESTS\n"))

    rng = np.random.default_rng(11)
    a, m = rng.normal(0, 3, 9), rng.normal(0, 3, (4, 3))
    extreme = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
    tests.append(("1b", 10, "### BEGIN HIDDEN TESTS\n" + head +
                  "_rng = _np.random.default_rng(11)\n_a, _m = _rng.normal(0, 3, 9), _rng.normal(0, 3, (4, 3))\n"
                  f"_close(sigmoid(_a), {_array(reference.sigmoid(a))})\n"
                  f"_close(sigmoid(_m), {_array(reference.sigmoid(m))})\n"
                  f"_close(sigmoid_grad(_a), {_array(reference.sigmoid_grad(a))})\n"
                  f"_close(sigmoid_grad(_m), {_array(reference.sigmoid_grad(m))})\n"
                  f"_close(sigmoid(0.7), {float(reference.sigmoid(0.7))!r})\n"
                  f"_close(sigmoid_grad(0.7), {float(reference.sigmoid_grad(0.7))!r})\n"
                  "with _np.errstate(over='raise', invalid='raise', divide='raise'):\n"
                  f"    _close(sigmoid({_array(extreme)}), {_array(reference.sigmoid(extreme))})\n"
                  f"    _close(sigmoid_grad({_array(extreme)}), {_array(reference.sigmoid_grad(extreme))})\n"
                  "### END HIDDEN TESTS\n"))

    cases = [([2, 3, 1], 0.0), ([2, 3, 1], 0.1), ([2, 5, 1], 0.0), ([2, 5, 1], 0.1)]
    rng = np.random.default_rng(12)
    weights = [rng.standard_normal(_n_params(sizes)) for sizes, _ in cases]
    draw = "_rng = _np.random.default_rng(12)\n_Ws = [_rng.standard_normal(n) for n in {}]\n".format(
        [_n_params(sizes) for sizes, _ in cases])
    loss_lines = "".join(f"_close(bce_loss(_Ws[{k}], _X, _t, {sizes}, {lam}), "
                         f"{float(reference.bce_loss(W, X, t, sizes, lam))!r})\n"
                         for k, ((sizes, lam), W) in enumerate(zip(cases, weights)))
    tests.append(("1c", 15, "### BEGIN HIDDEN TESTS\n" + head + draw + loss_lines + "### END HIDDEN TESTS\n"))
    grad_lines = "".join(f"_close(bce_grad(_Ws[{k}], _X, _t, {sizes}, {lam}), "
                         f"{_array(reference.bce_grad(W, X, t, sizes, lam))})\n"
                         for k, ((sizes, lam), W) in enumerate(zip(cases, weights)))
    fd = ("_fd_check(lambda W: bce_loss(W, _X[::33], _t[::33], [2, 3, 1], 0.1), "
          "bce_grad(_Ws[1], _X[::33], _t[::33], [2, 3, 1], 0.1), _Ws[1])\n")
    tests.append(("1d", 15, "### BEGIN HIDDEN TESTS\n" + head + draw + grad_lines + fd + "### END HIDDEN TESTS\n"))

    rng = np.random.default_rng(13)
    W_pred = 2.0 * rng.standard_normal(_n_params([2, 5, 1]))
    tests.append(("1e", 15, "### BEGIN HIDDEN TESTS\n" + head +
                  "for _sizes in ([2, 3, 1], [2, 10, 10, 10, 10, 1]):\n"
                  "    _W = _np.asarray(init_weights(_sizes, _np.random.default_rng(5)), dtype=float)\n"
                  "    assert _W.shape == (sum(o * (i + 1) for i, o in zip(_sizes[:-1], _sizes[1:])),)\n"
                  "    _start = 0\n"
                  "    for _i, _o in zip(_sizes[:-1], _sizes[1:]):\n"
                  "        _Wl = _W[_start:_start + _i * _o]; _start += _i * _o + _o\n"
                  "        assert _np.all(_np.abs(_Wl) <= _np.sqrt(2 / (_i + _o)) + 1e-12) and _np.std(_Wl) > 0\n"
                  "_rng = _np.random.default_rng(13)\n_Wp = 2.0 * _rng.standard_normal(21)\n"
                  f"_close(predict(_Wp, _X, [2, 5, 1]), {_array(reference.predict(W_pred, X, [2, 5, 1]))})\n"
                  "### END HIDDEN TESTS\n"))

    rng = np.random.default_rng(14)
    values = rng.normal(0, 3, 8)
    W_relu = rng.standard_normal(_n_params([2, 4, 3, 1]))
    loss, grad = reference.backprop(W_relu, X[few], t[few], [2, 4, 3, 1], 0.05, activation="relu")
    tests.append(("bonus", 5, "### BEGIN HIDDEN TESTS\n" + head +
                  "_rng = _np.random.default_rng(14)\n_v = _rng.normal(0, 3, 8)\n"
                  f"_Wr = _rng.standard_normal({_n_params([2, 4, 3, 1])})\n"
                  f"_close(relu(_v), {_array(reference.relu(values))})\n"
                  f"_close(relu_grad(_v), {_array(reference.relu_grad(values))})\n"
                  "_l, _g = backprop(_Wr, _X[::33], _t[::33], [2, 4, 3, 1], 0.05, activation='relu')\n"
                  f"_close(_loss((_l, _g)), {float(loss)!r})\n_close(_g, {_array(grad)})\n"
                  "### END HIDDEN TESTS\n"))

    deep_cases = [([2, 4, 1], 0.0), ([2, 5, 3, 1], 0.1), ([2, 4, 3, 4, 1], 0.0), ([2, 10, 10, 10, 10, 1], 0.0),
                  ([2, 10, 10, 10, 10, 1], 0.1)]
    rng = np.random.default_rng(15)
    weights = [rng.standard_normal(_n_params(sizes)) for sizes, _ in deep_cases]
    lines = "_rng = _np.random.default_rng(15)\n_Ws = [_rng.standard_normal(n) for n in {}]\n".format(
        [_n_params(sizes) for sizes, _ in deep_cases])
    for k, ((sizes, lam), W) in enumerate(zip(deep_cases, weights)):
        loss, grad = reference.backprop(W, X, t, sizes, lam)
        lines += (f"_l, _g = backprop(_Ws[{k}], _X, _t, {sizes}, {lam})\n"
                  f"_close(_loss((_l, _g)), {float(loss)!r})\n_close(_g, {_array(grad)})\n")
    lines += ("_fd_check(lambda W: backprop(W, _X[::33], _t[::33], [2, 5, 3, 1], 0.1), "
              "backprop(_Ws[1], _X[::33], _t[::33], [2, 5, 3, 1], 0.1)[1], _Ws[1])\n")
    setup = SETUPS["2"]
    W0 = training_inits("2", 1)[0]
    target = fit_once(W0, X, t, list(setup.layer_sizes), setup.lam, setup.activation, setup.loss).accuracy - 0.03
    lines += ("from scipy.optimize import minimize as _minimize\n"
              f"_result = _minimize(lambda W: backprop(W, _X, _t, {list(setup.layer_sizes)}, {setup.lam!r}), "
              f"{_array(W0)}, jac=True, method={METHOD!r}, options={dict(OPTIONS)!r})\n"
              f"_accuracy = _np.mean(_np.asarray(predict(_result.x, _X, {list(setup.layer_sizes)})).reshape(-1) == _t)\n"
              f"assert _accuracy >= {target!r}, _accuracy\n")
    tests.append(("2", 25, "### BEGIN HIDDEN TESTS\n" + head + lines + "### END HIDDEN TESTS\n"))

    ce_cases = [([2, 4, 3], 0.0), ([2, 4, 3], 0.1), ([2, 5, 4, 3], 0.0), ([2, 5, 4, 3], 0.1)]
    rng = np.random.default_rng(16)
    weights = [rng.standard_normal(_n_params(sizes)) for sizes, _ in ce_cases]
    A = rng.normal(0, 2, (6, 3))
    large = np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]])
    W_pred = 2.0 * rng.standard_normal(_n_params([2, 4, 3]))
    lines = ("_rng = _np.random.default_rng(16)\n_Ws = [_rng.standard_normal(n) for n in {}]\n"
             "_A = _rng.normal(0, 2, (6, 3))\n_Wp = 2.0 * _rng.standard_normal({})\n").format(
        [_n_params(sizes) for sizes, _ in ce_cases], _n_params([2, 4, 3]))
    lines += (f"assert _X3.shape == {X3.shape} and list(_np.bincount(_np.asarray(_t3, dtype=int))) == "
              f"{np.bincount(t3).tolist()}\n"
              f"_close(softmax(_A), {_array(reference.softmax(A))})\n"
              "with _np.errstate(over='raise', invalid='raise'):\n"
              f"    _close(softmax({_array(large)}), {_array(reference.softmax(large))})\n")
    for k, ((sizes, lam), W) in enumerate(zip(ce_cases, weights)):
        loss, grad = reference.ce_backprop(W, X3, t3, sizes, lam)
        lines += (f"_l, _g = ce_backprop(_Ws[{k}], _X3, _t3, {sizes}, {lam})\n"
                  f"_close(_loss((_l, _g)), {float(loss)!r})\n_close(_g, {_array(grad)})\n")
    lines += f"_close(predict_multiclass(_Wp, _X3, [2, 4, 3]), {_array(reference.predict_multiclass(W_pred, X3, [2, 4, 3]))})\n"
    tests.append(("3", 15, "### BEGIN HIDDEN TESTS\n" + head + lines + "### END HIDDEN TESTS\n"))
    return tests


def make_course(root):
    """An nbgrader course in ``root``: source/week6 = the example notebook + hidden test cells + its files."""
    import nbformat

    root = Path(root)
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    assignment_files(source)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for exercise, points, code in nbgrader_tests():
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"test_{exercise}", "locked": True,
                                     "points": points, "schema_version": 3, "solution": False, "task": False}
        nb.cells.append(cell)
    nbformat.write(nb, source / f"{ASSIGNMENT}.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.course_id = {ASSIGNMENT!r}\n"
        f"c.Execute.timeout = {CELL_TIMEOUT}\n"
        "c.Execute.startup_timeout = 120\n")
    # the kernel nbgrader starts ("python3", the notebook's kernelspec) is the project's venv Python
    kernel = root / "jupyter-path" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}))
    (root / "jupyter-config").mkdir()
    return root


def nbgrader_env(root):
    # nbgrader runs its own tools (alembic) by name: its venv's bin/ comes first on PATH
    return kernel_env({"JUPYTER_PATH": str(Path(root) / "jupyter-path"),
                       "JUPYTER_CONFIG_DIR": str(Path(root) / "jupyter-config"),
                       "PATH": f"{NBGRADER_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"})


def generate_assignment(root):
    seconds, done = timed([str(nbgrader_bin("nbgrader")), "generate_assignment", ASSIGNMENT, "--force"],
                          root, nbgrader_env(root))
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed ({done.returncode}):\n    {tail(done, 12)}")
    return seconds


def run_nbgrader(template):
    """Autograde one submission in a fresh copy of the generated course (its gradebook included)."""
    root = Path(tempfile.mkdtemp(prefix="week6-bench-nbgrader-")) / "course"
    try:
        shutil.copytree(template, root, symlinks=True)
        (root / "nbgrader_config.py").write_text(
            (root / "nbgrader_config.py").read_text().replace(str(template), str(root)))
        submitted = root / "submitted" / STUDENT / ASSIGNMENT
        shutil.copytree(root / "release" / ASSIGNMENT, submitted)
        env = nbgrader_env(root)
        seconds, done = timed([str(nbgrader_bin("nbgrader")), "autograde", ASSIGNMENT, "--student", STUDENT,
                               "--force"], root, env)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader autograde failed ({done.returncode}):\n    {tail(done, 12)}")
        score = subprocess.run(
            [str(nbgrader_bin("python")), "-c",
             "import sys\nfrom nbgrader.api import Gradebook\n"
             "with Gradebook('sqlite:///' + sys.argv[1]) as gb:\n"
             f"    s = gb.find_submission({ASSIGNMENT!r}, {STUDENT!r})\n"
             "    print(s.score, s.max_score)\n", str(root / "gradebook.db")],
            capture_output=True, text=True, cwd=root)
        parts = score.stdout.split()
        return seconds, {"score": float(parts[0]) if parts else None, "max_score": float(parts[1]) if parts else None}
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


# ---------------------------------------------------------------------- report

def median(values):
    return statistics.median(values) if values else float("nan")


def fmt_times(values):
    if not values:
        return "n/a"
    return f"{median(values):7.2f} s  (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


BREAKDOWN = [
    ("process start, imports, exit", None),
    ("execute: kernel launch (before read)", "execute.launch"),
    ("read", "read"), ("sanitize", "sanitize"),
    ("execute: kernel start (sandbox)", "execute.kernel_start"),
    ("execute: notebook cells", "execute.cells"),
    ("probe: plan and reference outcomes", "plan"),
    ("probe: groups (calls, finite diff.)", "groups"),
    ("probe: training 1 (1e)", "probe.group.train-1e"),
    ("probe: training 2", "probe.group.train-2"),
    ("probe: training 3", "probe.group.train-3"),
    ("check", "check"), ("diagnose", "diagnose"),
    ("kernel shutdown", "kernel_shutdown"),
    ("between stages", "gap"),
    ("report: figures", "report.figures"),
    ("report: executed notebook", "report.executed_notebook"),
    ("report: feedback md + html", "report.feedback"),
    ("report: results.json, rest", "report.rest"),
]
# Done in a thread while the notebook runs (grader.stages.probe.start_plan), so not in the total above;
# "probe: plan and reference outcomes" is then only the wait for that thread.
OVERLAPPED = [
    ("reference training (cache or training)", "probe.reference_training"),
    ("probe plan", "probe.plan"),
    ("report imports and warm-up (matplotlib)", "report.imports_early"),
]
# Done in threads of the report stage (grader.stages.report.start_written, start_figures) while the probes
# run and while the kernel shuts down: "report: figures" and "report: executed notebook" above are the waits.
OVERLAPPED_REPORT = [
    ("executed notebook (during the probes)", "report.executed_notebook_drawn"),
    ("written work (during the probes)", "report.written_drawn"),
    ("figures (during kernel shutdown, diagnose)", "report.figures_drawn"),
]
STAGES = ("read", "sanitize", "execute", "probe", "check", "diagnose")


def breakdown(wall, info):
    """{row key: seconds} for one grading, from its results.json timings and its wall time."""
    timings = info["timings"]
    rows = dict(timings)
    if "probe.plan_wait" in timings:              # built in a thread during execute: only the wait counts
        rows["plan"] = timings["probe.plan_wait"]
    else:
        rows["plan"] = timings.get("probe.reference_training", 0.0) + timings.get("probe.plan", 0.0)
    rows["groups"] = sum(v for k, v in timings.items() if k.startswith("probe.group.") and "train" not in k)
    rows["gap"] = (info["execution_time"] - sum(timings.get(s, 0.0) for s in STAGES)
                   - timings.get("kernel_shutdown", 0.0) - timings.get("execute.launch", 0.0))
    report = timings.get("report", 0.0)
    rows["report.rest"] = report - sum(timings.get(k, 0.0) for k in
                                       ("report.figures", "report.executed_notebook", "report.feedback"))
    rows[None] = wall - info["execution_time"] - report
    if "execute.cells" not in timings:            # before these timers existed
        rows["execute.cells"] = timings.get("execute", 0.0)
    return rows


def ratio_line(label, numerators, denominators):
    """One ratio as the bench reports it (None without measurements): the median of the
    per-repetition ratios, each repetition's, its aim, and a warning when they disagree."""
    ratios = [n / d for n, d in zip(numerators, denominators)]
    if not ratios:
        return None
    value = median(ratios)
    line = f"  {label:28s} {value:5.2f}  (per repetition: {', '.join(f'{r:.2f}' for r in ratios)})"
    aim = AIMS.get(label)
    if aim is not None:
        line += f"  aim <= {aim:.2f}: {'met' if value <= aim else 'NOT MET'}"
    spread = max(ratios) / min(ratios) - 1
    if spread > DISAGREEMENT:
        line += (f"\n  {'':28s} WARNING: its repetitions disagree by {100 * spread:.0f}% (> {100 * DISAGREEMENT:.0f}%):"
                 " not a measurement; measure again on a quieter machine")
    return line


def run():
    print(f"notebook: {NOTEBOOK.relative_to(ROOT)}; {REPS} repetitions each, interleaved; "
          f"load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    (level, why), (uid_ok, uid_why) = sandbox_levels()
    print(f"grader sandbox: auto picks {level}" + (f" (it refuses here: {why}); grading with --sandbox none"
                                                   if why else ""))
    measure_uid = uid_ok and level == "bwrap"
    if not measure_uid:
        uid_why = uid_why or f"auto picks {level} here"
        print(f"grader, uid level: NOT MEASURED: {uid_why}")

    nb_ok, nb_why = ensure_nbgrader()
    scratch = Path(tempfile.mkdtemp(prefix="week6-bench-"))
    cache_dir = scratch / "grader-cache"
    template = None
    if nb_ok:
        try:
            template = make_course(scratch / "course")
            seconds = generate_assignment(template)
            print(f"nbgrader {NBGRADER_VERSION}: generate_assignment (once per assignment) {seconds:.2f} s")
        except Exception as error:
            nb_ok, nb_why = False, f"{type(error).__name__}: {error}"
    if not nb_ok:
        print(f"nbgrader: NOT MEASURED: {nb_why}")

    times = {"bare": [], "grader": [], "grader-uid": [], "grader-none": [], "nbgrader": []}
    infos = {"bare": [], "grader": [], "grader-uid": [], "grader-none": [], "nbgrader": []}
    try:
        wall, info = run_grader(level, cache_dir)
        print(f"grader, cold reference cache (first grading after a change of reference/ or data/): "
              f"{wall:.2f} s, score {info['score']}, reference training "
              f"{info['timings'].get('probe.reference_training', float('nan')):.2f} s", flush=True)
        cold = (wall, info)
        contenders = {"bare": run_bare, "grader": lambda: run_grader(level, cache_dir)}
        if measure_uid:
            contenders["grader-uid"] = lambda: run_grader("uid", cache_dir)
        if level != "none":
            contenders["grader-none"] = lambda: run_grader("none", cache_dir)
        if nb_ok:
            contenders["nbgrader"] = lambda: run_nbgrader(template)
        names = list(contenders)
        for rep in range(REPS):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                try:
                    seconds, info = contenders[name]()
                except Exception as error:
                    print(f"  rep {rep + 1} {name}: FAILED: {error}", flush=True)
                    if name == "nbgrader" and not infos["nbgrader"]:
                        names.remove("nbgrader")
                        nb_ok, nb_why = False, str(error)
                    continue
                times[name].append(seconds)
                infos[name].append(info)
                print(f"  rep {rep + 1} {name:11s} {seconds:7.2f} s  load {os.getloadavg()[0]:4.1f}  "
                      + ", ".join(f"{k} {v}" for k, v in info.items() if k in ("score", "max_score", "errors")),
                      flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\nload average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\n{'wall clock per submission (median)':<40}")
    print(f"  bare nbconvert --execute     {fmt_times(times['bare'])}")
    print(f"  grader (python -m grader)    {fmt_times(times['grader'])}  (sandbox {level})")
    print(f"  grader, uid level            {fmt_times(times['grader-uid']) if measure_uid else 'not measured: ' + uid_why}")
    print(f"  grader, no sandbox           {fmt_times(times['grader-none']) if times['grader-none'] else 'not measured'}")
    print(f"  nbgrader autograde           {fmt_times(times['nbgrader']) if nb_ok else 'not measured: ' + nb_why}")
    print("\nratios (median of the per-repetition ratios)")
    for label, numerator, denominator in (("grader / bare", "grader", "bare"),
                                          ("grader / nbgrader", "grader", "nbgrader"),
                                          ("grader uid / bwrap", "grader-uid", "grader"),
                                          ("grader uid / bare", "grader-uid", "bare"),
                                          ("grader none / bare", "grader-none", "bare"),
                                          (f"grader {level} / none", "grader", "grader-none"),
                                          ("nbgrader / bare", "nbgrader", "bare")):
        line = ratio_line(label, times[numerator], times[denominator])
        if line:
            print(line)

    if infos["grader"]:
        rows = [breakdown(w, i) for w, i in zip(times["grader"], infos["grader"])]
        cold_rows = breakdown(*cold)
        print(f"\nwhere the grader's seconds go (median of {len(rows)} warm-cache runs; cold run beside it)")
        print(f"  {'':38s}{'warm':>8s}{'cold':>8s}")
        for label, key in BREAKDOWN:
            print(f"  {label:38s}{median([r.get(key, 0.0) for r in rows]):8.2f}{cold_rows.get(key, 0.0):8.2f}")
        print(f"  {'total (wall)':38s}{median(times['grader']):8.2f}{cold[0]:8.2f}")
        if any("probe.plan_wait" in i["timings"] for i in infos["grader"]):
            print("  overlapped with the notebook's execution (a thread started by the execute stage):")
            for label, key in OVERLAPPED:
                print(f"    {label:44s}{median([r.get(key, 0.0) for r in rows]):8.2f}{cold_rows.get(key, 0.0):8.2f}")
        if any("report.figures_drawn" in i["timings"] or "report.written_drawn" in i["timings"] for i in infos["grader"]):
            print("  overlapped with the probes and the kernel's shutdown (threads of the report stage):")
            for label, key in OVERLAPPED_REPORT:
                print(f"    {label:44s}{median([r.get(key, 0.0) for r in rows]):8.2f}{cold_rows.get(key, 0.0):8.2f}")
