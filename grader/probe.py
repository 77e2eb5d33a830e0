"""Stage 4, probe: call the submission's functions in its own kernel, read back plain arrays.

Each group of probes is one cell in the kernel running :mod:`grader.probe_driver`.
The driver writes ``<id>_<k>.npy`` and ``<id>.json`` into a directory whose
name is drawn after the notebook has run. Here they are read with
``numpy.load(allow_pickle=False)`` and ``json.load`` only, with size caps;
nothing a submission produced is ever unpickled or executed by the grader.
"""
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .probes import build_plan

DRIVER_SOURCE = (Path(__file__).with_name("probe_driver.py")).read_text()
MAX_STATUS_BYTES = 1_000_000
MAX_ARRAY_BYTES = 200_000_000


@dataclass
class ProbeOutcome:
    """What one probe call gave. status: ok, error, missing, bad_output, timeout, not_run.
    values: the returned arrays (float64), one per output."""
    status: str
    error: str = ""
    warnings: list = field(default_factory=list)
    values: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self):
        return self.status == "ok"


def probe_cell_source(plan_path, inputs_path, out_dir):
    """The code of one probe cell: run the driver in a private namespace against the user's globals."""
    return (
        "def _week6_grader_probe(user_namespace):\n"
        "    driver = {'__name__': 'week6_probe_driver'}\n"
        f"    exec(compile({DRIVER_SOURCE!r}, 'week6_probe_driver', 'exec'), driver)\n"
        f"    driver['run'](user_namespace, {str(plan_path)!r}, {str(inputs_path)!r}, {str(out_dir)!r})\n"
        "_week6_grader_probe(globals())\n"
        "del _week6_grader_probe\n"
    )


def probe(run):
    """Run every probe group; fill run.probe_outcomes (probe id -> ProbeOutcome)."""
    started = time.monotonic()
    if run.probe_plan is None:
        run.probe_plan = build_plan(run.seed, run.config)
    session = run.session
    exchange = run.workdir / f".grader-{secrets.token_hex(8)}"
    exchange.mkdir()
    inputs_path = exchange / "inputs.npz"
    np.savez(inputs_path, **run.probe_plan.arrays)
    for group, probes in run.probe_plan.groups().items():
        out_dir = exchange / group
        out_dir.mkdir()
        plan_path = exchange / f"{group}.json"
        plan_path.write_text(json.dumps([p.entry() for p in probes]))
        timeout = min(run.config.probe_timeout + sum(p.timeout for p in probes if p.kind == "train"),
                      sum(p.timeout for p in probes) + 30)
        outcome, _ = session.run_source(probe_cell_source(plan_path, inputs_path, out_dir), timeout)
        for p in probes:
            run.probe_outcomes[p.id] = read_outcome(out_dir, p.id, outcome)
    run.timings["probe"] = time.monotonic() - started


def read_outcome(out_dir, probe_id, cell_outcome):
    """Parse one probe's status and arrays with safe readers; explain anything missing."""
    status_path = out_dir / f"{probe_id}.json"
    if not status_path.is_file():
        reason = {"died": "the kernel died during this group of checks",
                  "hung": "this group of checks stopped answering and was stopped",
                  "timeout": "this group of checks ran out of time"}.get(
            cell_outcome.status, f"the check did not run ({cell_outcome.ename}: {cell_outcome.evalue})".strip())
        return ProbeOutcome("not_run", reason)
    if status_path.stat().st_size > MAX_STATUS_BYTES:
        return ProbeOutcome("bad_output", "the probe's status file is too large")
    try:
        status = json.loads(status_path.read_text())
        state = str(status["status"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return ProbeOutcome("bad_output", "the probe's status file could not be read")
    outcome = ProbeOutcome(state, str(status.get("error", ""))[:1000],
                           [str(w)[:300] for w in status.get("warnings", [])][:20] if isinstance(status.get("warnings"), list) else [],
                           seconds=float(status.get("seconds", 0.0)) if isinstance(status.get("seconds"), (int, float)) else 0.0)
    if state != "ok":
        return outcome
    count = status.get("n_outputs")
    if not isinstance(count, int) or not 0 <= count <= 64:
        return ProbeOutcome("bad_output", "the probe reported no outputs")
    for k in range(count):
        array = _load_array(out_dir / f"{probe_id}_{k}.npy")
        if array is None:
            return ProbeOutcome("bad_output", f"output {k} could not be read as a numeric array")
        outcome.values.append(array)
    return outcome


def _load_array(path):
    if not path.is_file() or path.stat().st_size > MAX_ARRAY_BYTES:
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
        return None
    return array.astype(float)
