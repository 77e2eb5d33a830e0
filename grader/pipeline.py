"""The grading pipeline: small named stages in one visible list.

read -> sanitize -> execute -> probe -> check -> diagnose -> report

Each stage takes the :class:`grader.model.GradingRun` and fills in its part.
A stage that cannot go on calls ``run.stop(status, message)``; the stages
after it are skipped except ``report``, which always writes results.json.
A grading still at work past its deadline is stopped and reported with what
it knows by then (:class:`grader.budget.OverrunWatchdog`).
"""
import copy
import importlib
import time
from pathlib import Path

from grader.budget import OUT_OF_TIME, Budget, GradingOverrun, OverrunWatchdog
from grader.config import GraderConfig
from grader.kernel import sandbox
from grader.kernel.kernel_files import remove_tree
from grader.model import GradingRun

# Each stage is the function of that name in grader.stages.<name>.
STAGES = ("read", "sanitize", "execute", "probe", "check", "diagnose", "report")
ALWAYS_RUN = {"report"}
# What a stage's end lets the report stage start in a thread, beside the stages after it (issue 25):
# the executed notebook and written work once the notebook has run (while the probes run), the
# figures once the tests are judged (while the kernel shuts down and the diagnosis runs).
STARTS_AFTER = {"execute": "start_written", "check": "start_figures"}
OVERRUN_MESSAGE = ("The grading time ran out while the grader was still at work (on what the notebook left for "
                   "it): what was not checked by then scores 0.")


def grade_notebook(notebook_path, out_root, config=None, out_dir=None, on_hard_stop=None):
    """Grade one notebook; results land in ``out_dir`` (default ``out_root/<stem>/``). Returns the GradingRun.

    Raises :class:`grader.kernel.sandbox.SandboxUnavailable`, and writes nothing, when the notebook
    cannot be confined as ``config.sandbox`` asks: an environment failure is not a grade.

    The whole grading keeps to ``config.time_budget`` (:mod:`grader.budget`), the grader's own work
    included: past the deadline it is interrupted and finished with what is known (the rest "not
    checked: the grading time ran out"). Should even that not end, ``on_hard_stop(run)`` is called
    from another thread once the results known so far are written (the command line and Gradescope's
    runner end the process there; without it, the grading's thread is left to finish)."""
    config = config or GraderConfig()
    sandbox.resolve_level(config)
    notebook_path = Path(notebook_path)
    out_dir = Path(out_dir) if out_dir is not None else Path(out_root) / notebook_path.stem
    run = GradingRun(notebook_path=notebook_path, out_dir=out_dir, config=config)
    run.budget = Budget(config.time_budget)
    run.seed = None                  # drawn when the probes are planned (grader.stages.probe.notebook_seed)
    watchdog = OverrunWatchdog(run.budget.deadline, lambda: _stop_kernel(run),
                               lambda: _hard_stop(run, on_hard_stop))
    overrun = False
    try:
        with watchdog:
            try:
                _run_stages(run)
            except GradingOverrun:
                overrun = True
                _finish_overrun(run)
    finally:
        if run.session is not None:
            if overrun:
                run.session.abandon()
            else:
                run.session.shutdown()
        if run.workdir is not None:
            remove_tree(run.workdir)         # the notebook's files, at any depth, no link followed
    return run


def stage_function(name):
    """The stage ``name`` of :data:`STAGES`: the function ``name`` of ``grader.stages.<name>``.

    A function-level import for start-up speed: the later stages' modules (the assignment, the
    reference, scipy, matplotlib: ~0.7 s) load while the notebook's kernel starts (the execute
    stage), not before it (issue 25)."""
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r} (known: {', '.join(STAGES)})")
    return getattr(importlib.import_module(f"grader.stages.{name}"), name)


def later_stages_loaded():
    """Import the stages after the execute stage (the execute stage calls this while the kernel starts).

    In the grading's own thread, before any thread of the grading starts: a module that one thread
    is importing is seen half-made by another that imports at the same time (dataclasses reads
    ``typing`` from sys.modules without importing it)."""
    for name in STAGES[STAGES.index("execute") + 1:]:
        stage_function(name)


def _run_stages(run):
    try:      # the notebook's kernel starts before its notebook is read, as its own process (issue 25)
        importlib.import_module("grader.stages.execute").launch(run)
    except sandbox.SandboxUnavailable:
        raise
    except Exception:         # the execute stage tries again, and reports what fails as its own failure
        pass
    for name in STAGES:
        if run.status != "graded" and name not in ALWAYS_RUN:
            continue
        if name == "report":
            _seed(run)
            run.execution_time = time.monotonic() - run.budget.started
        stage_started = time.monotonic()
        try:
            stage_function(name)(run)
        except sandbox.SandboxUnavailable:
            raise
        except Exception as error:   # one stage's bug must not lose the whole grade
            run.stop("grader_error", f"The grader failed in stage '{name}': {type(error).__name__}: {error}")
            if name == "report":
                raise
        # the report stage records its own time, as it writes it into results.json
        run.timings.setdefault(name, time.monotonic() - stage_started)
        if name in STARTS_AFTER and run.status == "graded":
            getattr(importlib.import_module("grader.stages.report"), STARTS_AFTER[name])(run)
        if name == "check" and run.session is not None:      # the kernel is not needed after the probes
            shutdown_started = time.monotonic()
            run.session.shutdown()
            run.timings["kernel_shutdown"] = time.monotonic() - shutdown_started


def _seed(run):
    """The run's seed when no probe was planned (the notebook could not be read or run)."""
    if run.seed is None:
        from grader.stages.probe import notebook_seed    # imported on first use, as stage_function says
        run.seed = notebook_seed(run)


# -- past the deadline (grader.budget.OverrunWatchdog) -------------------------------------

def _stop_kernel(run):
    """Stop the notebook's processes now: whatever the grader waits for from them ends."""
    session = run.session
    if session is not None and hasattr(session.launch_prefix, "stop_now"):
        session.launch_prefix.stop_now()


def _settle_tests(run):
    """Judge what came back by now: every probe without an outcome is "not checked: the grading
    time ran out". Without a probe plan yet there is nothing to judge: the run stops as a timeout."""
    pending = run.background.get("plan")
    if run.probe_plan is None and pending is not None and pending.done() and pending.exception() is None:
        run.probe_plan = pending.result()[0]
    if run.probe_plan is None:
        run.stop("timeout", "The grading time ran out before the notebook's functions could be checked.")
        return
    from grader.stages.probe import ProbeOutcome     # imported on first use, as stage_function says
    for probe_id in run.probe_plan.probes:
        run.probe_outcomes.setdefault(probe_id, ProbeOutcome("no_time", OUT_OF_TIME))
    if "check" not in run.timings:           # the check stage did not finish: judge everything again
        run.tests = []
        stage_function("check")(run)
    run.message = " ".join(part for part in (run.message, OVERRUN_MESSAGE) if part)


def _finish_overrun(run):
    _stop_kernel(run)
    _settle_tests(run)
    _seed(run)
    run.execution_time = time.monotonic() - run.budget.started
    stage_function("report")(run)


def _hard_stop(run, on_hard_stop):
    """From the watchdog's thread, the grading's own thread being stuck: write the results known so
    far (on a copy of the run), then hand over to ``on_hard_stop``."""
    _stop_kernel(run)
    emergency = copy.copy(run)
    emergency.probe_outcomes = dict(run.probe_outcomes)
    emergency.timings = dict(run.timings)
    emergency.tests = list(run.tests) if "check" in run.timings else []
    try:
        _settle_tests(emergency)
        _seed(emergency)
        emergency.execution_time = time.monotonic() - run.budget.started
        stage_function("report")(emergency)
    finally:
        if on_hard_stop is not None:
            on_hard_stop(emergency)
