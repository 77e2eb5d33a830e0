"""What a grading loads before the notebook's kernel starts (issue 25): the kernel's process starts
first, and the assignment, the reference and scipy load beside it, not before it."""
import subprocess
import sys

import pytest

from grader import pipeline
from project import PROJECT_ROOT

# The modules a grading has imported when it launches the kernel: the command line, the pipeline, and the
# stages before the kernel starts (read, sanitize, execute).
BEFORE_THE_KERNEL = ("grader.cli", "grader.pipeline", "grader.stages.read", "grader.stages.sanitize",
                     "grader.stages.execute", "grader.kernel.kernel_session", "grader.model")
LOADED_LATER = ("assignment", "reference", "scipy", "matplotlib", "jinja2")


def test_the_modules_before_the_kernel_load_none_of_the_assignment():
    code = (f"import importlib, sys\nfor name in {BEFORE_THE_KERNEL!r}:\n    importlib.import_module(name)\n"
            f"print(' '.join(name for name in {LOADED_LATER!r} if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"loaded before the kernel starts: {done.stdout.strip()}"


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
