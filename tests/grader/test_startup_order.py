"""What a grading loads before the notebook's kernel starts (issue 25): the kernel's process starts
first, and the assignment, the reference, numpy and scipy load beside it, not before it."""
import subprocess
import sys

import pytest

from grader import pipeline
from project import PROJECT_ROOT

# The modules a grading has imported when it launches the kernel: the command line, the pipeline, and the
# stages before the kernel starts (read, sanitize, execute).
BEFORE_THE_KERNEL = ("grader.cli", "grader.pipeline", "grader.stages.read", "grader.stages.sanitize",
                     "grader.stages.execute", "grader.kernel.kernel_session", "grader.model")
LOADED_LATER = ("assignment", "reference", "numpy", "scipy", "matplotlib", "jinja2")   # numpy: 35 ms


def test_the_modules_before_the_kernel_load_none_of_the_assignment():
    code = (f"import importlib, sys\nfor name in {BEFORE_THE_KERNEL!r}:\n    importlib.import_module(name)\n"
            f"print(' '.join(name for name in {LOADED_LATER!r} if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"loaded before the kernel starts: {done.stdout.strip()}"


def test_the_later_stages_load_without_scipy_optimize():
    """scipy.optimize (0.25 s, on the critical path while the kernel starts) is imported by what trains:
    the reference's outcomes when they are not cached, a diagnosis's training proxy."""
    code = ("import sys\nfrom grader.pipeline import later_stages_loaded\nlater_stages_loaded()\n"
            "import grader.reports.written_work, grader.reports.figures, grader.stages.probe\n"
            "print('scipy.optimize' in sys.modules, 'reference' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_a_run_scores_every_exercise_in_the_gradebook_order(tmp_path):
    """grader.model reads the assignment's exercise ids only when a run's scores are asked for."""
    from assignment import EXERCISE_IDS
    from grader.config import GraderConfig
    from grader.model import GradingRun
    run = GradingRun(notebook_path=tmp_path / "n.ipynb", out_dir=tmp_path, config=GraderConfig())
    assert list(run.exercise_scores()) == list(EXERCISE_IDS)


def test_every_stage_is_found_by_its_name_and_no_other_name():
    assert [pipeline.stage_function(name).__name__ for name in pipeline.STAGES] == list(pipeline.STAGES)
    with pytest.raises(ValueError, match="unknown stage"):
        pipeline.stage_function("os")


def _record_order(monkeypatch, order, launch_fails=False):
    """Every kernel launch and notebook read of a grading, in order, into ``order``."""
    from grader.kernel.kernel_session import KernelSession
    from grader.stages import read as read_stage
    real_launch, real_read = KernelSession.launch, read_stage.read

    def launch(session):
        order.append(("launch", session.nb.cells == []))
        if launch_fails:
            raise RuntimeError("the notebook's kernel did not start (a test's)")
        return real_launch(session)

    def read(run):
        order.append(("read", None))
        return real_read(run)
    monkeypatch.setattr(KernelSession, "launch", launch)
    monkeypatch.setattr(read_stage, "read", read)


def test_the_kernel_starts_before_the_notebook_is_read(tmp_path, monkeypatch):
    """Reading and checking the notebook (~0.2 s) happen while its kernel starts (issue 25); the kernel
    runs the notebook read after it, and a notebook that cannot be read leaves no kernel behind."""
    from grader.config import GraderConfig
    from grader.pipeline import grade_notebook
    from grader.stages import probe as probe_stage
    order = []
    _record_order(monkeypatch, order)
    # what is asked here ends with the notebook's run: no probe plan (the reference's trainings)
    monkeypatch.setattr(probe_stage, "start_plan", lambda run: None)
    monkeypatch.setattr(probe_stage, "probe", lambda run: run.stop("timeout", "a test's: no probes"))
    notebook = tmp_path / "one.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": "x = 6 * 7", "metadata": {}, "outputs": [], '
                        '"execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    run = grade_notebook(notebook, tmp_path / "out", GraderConfig(sandbox="none", figures=False))
    assert order == [("launch", True), ("read", None)]
    assert [cell.status for cell in run.cells] == ["ok"]
    assert run.session.closed and not run.workdir.exists()

    order.clear()
    unreadable = tmp_path / "two.ipynb"
    unreadable.write_text("not a notebook")
    run = grade_notebook(unreadable, tmp_path / "out", GraderConfig(sandbox="none", figures=False))
    assert order == [("launch", True), ("read", None)] and run.status == "unreadable"
    assert run.session.closed and not run.workdir.exists()
    assert not run.session.runtime_dir.exists()


def test_a_kernel_that_does_not_start_early_is_started_again_and_reported_by_the_execute_stage(tmp_path,
                                                                                              monkeypatch):
    from grader.config import GraderConfig
    from grader.pipeline import grade_notebook
    order = []
    _record_order(monkeypatch, order, launch_fails=True)
    run = grade_notebook(PROJECT_ROOT / "examples" / "example_submission.ipynb", tmp_path / "out",
                         GraderConfig(sandbox="none", figures=False))
    assert order == [("launch", True), ("read", None), ("launch", False)]
    assert run.status == "grader_error" and "stage 'execute'" in run.message and "a test's" in run.message
    assert not run.workdir.exists()
