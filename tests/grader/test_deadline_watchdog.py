"""The whole grading's deadline bounds the grader's own work too (grader/budget.py, OverrunWatchdog):
a grader stuck on what a notebook left it is interrupted and reports what it knows, and should
even that not end, the command line writes the results known so far and exits.

The grader is made to block as it did in the third held-out round (open() of a FIFO, waiting for a
writer): a stand-in for any read the kernel could still make wait. A writer unblocks it after
UNBLOCK seconds, so without the watchdog the grading ends late instead of never.
"""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader import budget
from grader.pipeline import OVERRUN_MESSAGE, grade_notebook
from grader.stages import probe as probe_stage
from tests.robustness.level_fixtures import config_for, require_level
from tests.robustness.make_corpus import correct_base, notebook_bytes
from tests.answered import FULL_MARKS

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 20.0
UNBLOCK = 150.0          # seconds after which the FIFO gets a writer (only a grader without a watchdog waits that long)
REPORT_SECONDS = 20.0    # what the interrupted grading may take to write its report (a loaded machine)
OVERRUN_GRACE, HARD_STOP_GRACE = 3.0, 8.0      # shorter than grader/budget.py's, for the tests' time


def fifo_that_opens_late(path):
    os.mkfifo(path)

    def writer():
        time.sleep(UNBLOCK)
        with open(path, "w"):
            pass
    threading.Thread(target=writer, daemon=True).start()
    return path


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "correct.ipynb"
    path.write_bytes(notebook_bytes(correct_base()))
    return path


def test_a_grader_stuck_past_the_deadline_reports_what_it_knows(notebook, tmp_path, monkeypatch):
    require_level("bwrap")
    monkeypatch.setattr(budget, "OVERRUN_GRACE", OVERRUN_GRACE)
    fifo = fifo_that_opens_late(tmp_path / "stuck")
    real_read, calls = probe_stage.read_outcome, []

    def stuck_on_the_tenth(out_dir, probe_id, cell_outcome):
        calls.append(probe_id)
        if len(calls) == 10:
            with open(fifo):          # blocks: what an O_NONBLOCK-less open of a planted FIFO did
                pass
        return real_read(out_dir, probe_id, cell_outcome)

    monkeypatch.setattr(probe_stage, "read_outcome", stuck_on_the_tenth)
    started = time.monotonic()
    run = grade_notebook(notebook, tmp_path / "out", config_for("bwrap", time_budget=BUDGET))
    seconds = time.monotonic() - started
    assert seconds < BUDGET + OVERRUN_GRACE + REPORT_SECONDS, f"the grading took {seconds:.0f} s"
    assert run.status == "graded" and OVERRUN_MESSAGE in run.message, run.message
    results = json.loads((tmp_path / "out" / "correct" / "results.json").read_text())
    assert results["score"] == run.score
    not_checked = [t for t in run.tests if "not checked: the grading time ran out" in t.got]
    checked = [t for t in run.tests if t.passed]
    assert not_checked and checked, "the probes read before it got stuck are judged, the others are not checked"
    assert 0 < run.score < FULL_MARKS


# Run by the command line in a process of its own: SIGALRM blocked too, so only the hard stop can end it.
HARD_STOP_SCRIPT = """
import signal, sys
sys.path.insert(0, {root!r})
from grader import budget, cli
from grader.stages import probe
budget.OVERRUN_GRACE, budget.HARD_STOP_GRACE = {overrun}, {hard}
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
real_read, calls = probe.read_outcome, []
def stuck(out_dir, probe_id, cell_outcome):
    calls.append(probe_id)
    if len(calls) == 10:
        open({fifo!r}).close()
    return real_read(out_dir, probe_id, cell_outcome)
probe.read_outcome = stuck
sys.exit(cli.main(["grade", {notebook!r}, "--out", {out!r}, "--sandbox", "bwrap", "--time-budget", "{budget}",
                   "--no-figures"]))
"""


def test_the_command_line_ends_with_the_results_known_so_far_when_even_that_is_stuck(notebook, tmp_path):
    require_level("bwrap")
    fifo = fifo_that_opens_late(tmp_path / "stuck")
    script = HARD_STOP_SCRIPT.format(root=str(ROOT), fifo=str(fifo), notebook=str(notebook), out=str(tmp_path / "out"),
                                     budget=BUDGET, overrun=OVERRUN_GRACE, hard=HARD_STOP_GRACE)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=UNBLOCK + 60)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    assert seconds < BUDGET + HARD_STOP_GRACE + REPORT_SECONDS, f"the command took {seconds:.0f} s"
    assert "the grading time ran out" in done.stderr
    results = json.loads((tmp_path / "out" / "correct" / "results.json").read_text())
    outputs = [test["output"] for test in results["tests"]]
    assert any("not checked: the grading time ran out" in output for output in outputs)
    assert 0 < results["score"] < FULL_MARKS
