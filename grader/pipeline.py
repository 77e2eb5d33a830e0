"""The grading pipeline: small named stages in one visible list.

read -> sanitize -> execute -> probe -> check -> diagnose -> report

Each stage takes the :class:`grader.model.GradingRun` and fills in its part.
A stage that cannot go on calls ``run.stop(status, message)``; the stages
after it are skipped except ``report``, which always writes results.json.
"""
import shutil
import time
from pathlib import Path

from assignment.kit.plan import seed_for

from grader.budget import Budget
from grader.config import GraderConfig
from grader.kernel import sandbox
from grader.model import GradingRun
from grader.stages.check import check
from grader.stages.diagnose import diagnose
from grader.stages.execute import execute
from grader.stages.probe import probe
from grader.stages.read import read
from grader.stages.report import report
from grader.stages.sanitize import sanitize

STAGES = [read, sanitize, execute, probe, check, diagnose, report]
ALWAYS_RUN = {report}


def grade_notebook(notebook_path, out_root, config=None, out_dir=None):
    """Grade one notebook; results land in ``out_dir`` (default ``out_root/<stem>/``). Returns the GradingRun.

    Raises :class:`grader.kernel.sandbox.SandboxUnavailable`, and writes nothing, when the notebook
    cannot be confined as ``config.sandbox`` asks: an environment failure is not a grade."""
    config = config or GraderConfig()
    sandbox.resolve_level(config)
    notebook_path = Path(notebook_path)
    out_dir = Path(out_dir) if out_dir is not None else Path(out_root) / notebook_path.stem
    run = GradingRun(notebook_path=notebook_path, out_dir=out_dir, config=config)
    run.budget = Budget(config.time_budget)
    started = run.budget.started
    try:
        run.seed = config.seed if config.seed is not None else seed_for(notebook_path.read_bytes())
    except OSError:
        run.seed = 0
    try:
        for stage in STAGES:
            if run.status != "graded" and stage not in ALWAYS_RUN:
                continue
            if stage is report:
                run.execution_time = time.monotonic() - started
            stage_started = time.monotonic()
            try:
                stage(run)
            except sandbox.SandboxUnavailable:
                raise
            except Exception as error:   # one stage's bug must not lose the whole grade
                run.stop("grader_error", f"The grader failed in stage '{stage.__name__}': "
                                         f"{type(error).__name__}: {error}")
                if stage is report:
                    raise
            # the report stage records its own time, as it writes it into results.json
            run.timings.setdefault(stage.__name__, time.monotonic() - stage_started)
            if stage is probe and run.session is not None:
                run.session.shutdown()
    finally:
        if run.session is not None:
            run.session.shutdown()
        if run.workdir is not None:
            shutil.rmtree(run.workdir, ignore_errors=True)
    return run
