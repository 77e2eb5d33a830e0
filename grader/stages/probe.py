"""Stage 4, probe: call the submission's functions in its own kernel, read back plain arrays.

Each group of probes is one cell in the kernel running :mod:`grader.kernel.probe_driver`.
The driver writes ``<id>_<k>.npy`` and ``<id>.json`` into a folder of the grader's
exchange directory (whose name is drawn after the notebook has run), one folder per
run of the group's cell. Here they are read with ``numpy.load(allow_pickle=False)``
and ``json.load`` only, with size caps; nothing a submission produced is ever
unpickled or executed by the grader. The kernel can replace any of those files (or
the grader's own inputs beside them) by a link, a FIFO or a socket at any moment, so
the exchange is held open and every file in it is read and written by
:mod:`grader.kernel.kernel_files` (no link followed, no open that can block); what is
not a plain file of reasonable size is a bad output of that probe. A folder's files
are read as soon as its cell ends, before a restart may clean the working
directory, and the folder is removed then.
"""
import io
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assignment import TRAINED, build_plan
from assignment.kit.plan import seed_for
from assignment.kit.reference_runs import reference_training

from project import PROJECT_ROOT
from grader.budget import OUT_OF_TIME
from grader.kernel.kernel_files import KernelDir
from grader.kernel.kernel_session import ENDED_KERNEL, STOPPED_ENAME
from grader.model import PROBE_STATUSES, ProbeStatus, error_frames


DRIVER_SOURCE = (PROJECT_ROOT / "grader/kernel/probe_driver.py").read_text()
DRIVER_MODULE = "week6_probe_driver"
MAX_STATUS_BYTES = 1_000_000
# deaths of the kernel during one group before its remaining probes are given up (each costs a
# restart with the notebook replayed; a probe is blamed after it killed two kernels in a row)
MAX_DEATHS_PER_GROUP = 6
KILLED_TWICE = "the kernel died during this check, on a freshly restarted kernel too"
UNWRITABLE = "the grader's files for these checks could not be written in the notebook's folder"
MAX_ARRAY_BYTES = 200_000_000


@dataclass
class ProbeOutcome:
    """What one probe call gave. status: ok, error, missing, bad_output, timeout, not_run,
    no_time (the grading's time budget ran out before it).
    values: the returned arrays (float64), one per output."""
    status: ProbeStatus
    error: str = ""
    warnings: list = field(default_factory=list)
    values: list = field(default_factory=list)
    seconds: float = 0.0
    frames: list = field(default_factory=list)    # [grader.model.ErrorFrame] of an error, outermost first

    @property
    def ok(self):
        return self.status == "ok"


def probe_cell_source(plan_path, inputs_path, out_dir):
    """The code of one probe cell: run the driver in a namespace of its own against the user's globals.

    The driver is compiled once per kernel and kept as the module ``DRIVER_MODULE`` (a restarted
    kernel compiles it again), with the input arrays it read: each later group saves the compile and
    the archive's read (~6 ms a group, issue 25). Keeping it there gives the submission nothing it
    lacked: its code runs in the same process as the driver whichever way the driver arrives."""
    return (
        "def _week6_grader_probe(user_namespace):\n"
        "    import sys, types\n"
        f"    driver = sys.modules.get({DRIVER_MODULE!r})\n"
        "    if driver is None:\n"
        f"        driver = types.ModuleType({DRIVER_MODULE!r})\n"
        f"        exec(compile({DRIVER_SOURCE!r}, {DRIVER_MODULE!r}, 'exec'), driver.__dict__)\n"
        f"        sys.modules[{DRIVER_MODULE!r}] = driver\n"
        f"    driver.run(user_namespace, {str(plan_path)!r}, {str(inputs_path)!r}, {str(out_dir)!r})\n"
        "_week6_grader_probe(globals())\n"
        "del _week6_grader_probe\n"
    )


def plan_for(seed, config, timings):
    """The probe plan, with the reference's trained outcomes it needs (computed or read from the
    cache first); their times go into ``timings``."""
    started = time.monotonic()
    for exercise in TRAINED:
        reference_training(exercise, config.train_restarts)
    timings["probe.reference_training"] = time.monotonic() - started
    started = time.monotonic()
    plan = build_plan(seed, config)
    timings["probe.plan"] = time.monotonic() - started
    return plan


def notebook_seed(run):
    """The probes' seed: ``config.seed``, else drawn from the notebook file's bytes (0 when it cannot be read)."""
    if run.config.seed is not None:
        return run.config.seed
    try:
        return seed_for(Path(run.notebook_path).read_bytes())
    except OSError:
        return 0


def start_plan(run):
    """Build the probe plan (and the reference's outcomes it needs) in a thread, so that it is
    ready when the notebook has run; then import what the report stage will need.

    The plan depends only on the seed and the configuration, and the kernel runs in its own
    process, so this costs the grading no time unless the notebook is quicker than the
    reference's training (cold cache). :func:`probe` takes the result (or its exception).
    """
    if run.probe_plan is not None or "plan" in run.background:
        return
    if run.seed is None:
        run.seed = notebook_seed(run)
    seed, config = run.seed, run.config

    def work():
        timings = {}          # the thread's own: merged into run.timings by probe()
        plan = plan_for(seed, config, timings)
        started = time.monotonic()
        try:
            from grader.reports.figures import warm_up     # matplotlib: heavy, and only a head start (below)
            warm_up()
        except Exception:     # only a head start: the report stage imports (and reports) for itself
            pass
        timings["report.imports_early"] = time.monotonic() - started
        return plan, timings

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="week6-plan")
    run.background["plan"] = executor.submit(work)
    executor.shutdown(wait=False)


def probe(run):
    """Run every probe group; fill run.probe_outcomes (probe id -> ProbeOutcome)."""
    started = time.monotonic()
    pending = run.background.pop("plan", None)
    if run.probe_plan is None:
        if pending is not None:       # started by the execute stage: usually done by now
            run.probe_plan, timings = pending.result()
            run.timings.update(timings)
            run.timings["probe.plan_wait"] = time.monotonic() - started
        else:
            if run.seed is None:
                run.seed = notebook_seed(run)
            run.probe_plan = plan_for(run.seed, run.config, run.timings)
    inputs = io.BytesIO()
    np.savez(inputs, **run.probe_plan.arrays)
    deadline = run.budget.probe_deadline if run.budget is not None else None
    with KernelDir.make(run.workdir / f".grader-{secrets.token_hex(8)}") as exchange:
        sandbox = run.session.launch_prefix
        if hasattr(sandbox, "probe_folder"):          # the grader's files survive a disk-limit cleanup
            sandbox.probe_folder(exchange.path)
        try:
            inputs_path = exchange.write("inputs.npz", inputs.getvalue())
        except OSError as error:          # the kernel kept taking its place: nothing can be probed
            run.probe_outcomes.update({probe_id: ProbeOutcome("not_run", f"{UNWRITABLE}: {error}")
                                       for probe_id in run.probe_plan.probes})
            return
        if hasattr(sandbox, "keep"):
            sandbox.keep(inputs_path)
        for group, probes in run.probe_plan.groups().items():
            group_started = time.monotonic()
            run.probe_outcomes.update(probe_group(run.session, exchange, inputs_path, group, probes, run.config,
                                                  deadline))
            run.timings[f"probe.group.{group}"] = time.monotonic() - group_started


def probe_group(session, exchange, inputs_path, group, probes, config, deadline=None):
    """{probe id: ProbeOutcome} for one group, run as one cell in the submission's kernel.

    ``exchange``: the grader's :class:`grader.kernel.kernel_files.KernelDir` for the probes.
    A kernel that is gone before the group (a thread of the notebook, a signal, ``exit()``)
    is started again first. When the kernel dies during the group, the probes that wrote
    their results keep them, and the rest of the group runs again on a fresh kernel (the
    notebook replayed): a probe is "could not be checked" only when it kills a fresh kernel
    too. Past ``deadline`` (time.monotonic()), the probes not yet run are not checked.
    """
    sandbox = session.launch_prefix
    outcomes, pending, suspect, deaths = {}, list(probes), None, 0
    while pending:
        session.ensure_alive()
        natural = min(config.probe_timeout + sum(p.timeout for p in pending if p.kind == "train"),
                      sum(p.timeout for p in pending) + 30)
        timeout = natural if deadline is None else min(natural, deadline - time.monotonic())
        if timeout < 1:
            outcomes.update({p.id: ProbeOutcome("no_time", OUT_OF_TIME) for p in pending})
            break
        attempt = f"{group}-{deaths}"
        try:
            plan_path, out_dir = _prepare(exchange, attempt, pending)
        except OSError as error:        # the kernel kept taking the place of the grader's files
            outcomes.update({p.id: ProbeOutcome("not_run", f"{UNWRITABLE}: {error}") for p in pending})
            break
        if hasattr(sandbox, "keep"):        # the grader's files survive a disk-limit cleanup
            sandbox.keep(plan_path)
        with out_dir:
            if hasattr(sandbox, "hand_over"):       # out_dir is the kernel's
                sandbox.hand_over(out_dir)
            cell_outcome, _ = session.run_source(probe_cell_source(plan_path, inputs_path, out_dir.path), timeout,
                                                 restart=False)
            cut_short = timeout < natural and cell_outcome.status in ("timeout", "hung")
            finished = [p for p in pending if out_dir.is_file(f"{p.id}.json")]
            for p in finished:
                outcomes[p.id] = read_outcome(out_dir, p.id, cell_outcome)
            pending = [p for p in pending if p not in finished]
            if cell_outcome.status != "died" or not pending:
                reason = ProbeOutcome("no_time", OUT_OF_TIME) if cut_short else None
                outcomes.update({p.id: reason or read_outcome(out_dir, p.id, cell_outcome) for p in pending})
                pending = []
        exchange.remove(attempt)        # read: the next run of the group writes a folder of its own
        if cell_outcome.status in ENDED_KERNEL:
            session.restart()
        if not pending:
            break
        deaths += 1
        running = pending[0]          # the driver runs the group in order: this one was running
        if cell_outcome.ename == STOPPED_ENAME:     # it broke a limit (the disk bound): its cause is known
            outcomes[running.id] = ProbeOutcome("not_run", cell_outcome.evalue)
            pending = pending[1:]
        elif running is suspect:      # it killed a fresh kernel too: it is the probe's doing
            outcomes[running.id] = ProbeOutcome("not_run", KILLED_TWICE)
            pending = pending[1:]
        suspect = running
        if deaths >= MAX_DEATHS_PER_GROUP:
            outcomes.update({p.id: ProbeOutcome("not_run", f"the kernel died {deaths} times during this group "
                                                           "of checks") for p in pending})
            break
    return {p.id: outcomes[p.id] for p in probes}


def _prepare(exchange, attempt, pending):
    """(plan path, the folder the kernel writes) for one run of a group's cell; OSError when the
    kernel keeps taking their places."""
    plan_path = exchange.write(f"{attempt}.json", json.dumps([p.entry() for p in pending]).encode())
    for _ in range(3):
        exchange.remove(attempt)
        try:
            return plan_path, exchange.make_dir(attempt)
        except FileExistsError:
            continue
    raise OSError(f"{exchange.path / attempt} kept being made by someone else")


def read_outcome(out_dir, probe_id, cell_outcome):
    """Parse one probe's status and arrays with safe readers; explain anything missing.

    ``out_dir``: the folder the probe wrote, a :class:`grader.kernel.kernel_files.KernelDir`
    (or a path, opened for this call)."""
    if not isinstance(out_dir, KernelDir):
        with KernelDir.open(out_dir) as folder:
            return read_outcome(folder, probe_id, cell_outcome)
    status_name = f"{probe_id}.json"
    if not out_dir.exists(status_name):
        reason = {"died": "the kernel died during this group of checks",
                  "hung": "this group of checks stopped answering and was stopped",
                  "timeout": "this group of checks ran out of time"}.get(
            cell_outcome.status, f"the check did not run ({cell_outcome.ename}: {cell_outcome.evalue})".strip())
        return ProbeOutcome("not_run", reason)
    raw = out_dir.read(status_name, MAX_STATUS_BYTES)
    if raw is None:
        return ProbeOutcome("bad_output", "the probe's status file is not a plain file of reasonable size")
    try:
        status = json.loads(raw.decode("utf-8"))
        state = str(status["status"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return ProbeOutcome("bad_output", "the probe's status file could not be read")
    if state not in PROBE_STATUSES:
        return ProbeOutcome("bad_output", "the probe's status file gives no known status")
    outcome = ProbeOutcome(state, str(status.get("error", ""))[:1000],
                           [str(w)[:300] for w in status.get("warnings", [])][:20] if isinstance(status.get("warnings"), list) else [],
                           seconds=float(status.get("seconds", 0.0)) if isinstance(status.get("seconds"), (int, float)) else 0.0,
                           frames=error_frames(status.get("frames")))
    if state != "ok":
        return outcome
    count = status.get("n_outputs")
    if not isinstance(count, int) or not 0 <= count <= 64:
        return ProbeOutcome("bad_output", "the probe reported no outputs")
    for k in range(count):
        array = _load_array(out_dir, f"{probe_id}_{k}.npy")
        if array is None:
            return ProbeOutcome("bad_output", f"output {k} could not be read as a numeric array")
        outcome.values.append(array)
    return outcome


def _load_array(folder, name):
    raw = folder.read(name, MAX_ARRAY_BYTES)
    if raw is None:
        return None
    try:
        array = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
        return None
    return array.astype(float)
