"""A batch killed from outside leaves no workers, forkserver or kernels behind."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def children_of():
    """{pid: parent pid} for every process on the machine."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(root):
    parents = children_of()
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_killed_batch_leaves_no_process_behind(tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    for name in ("a", "b"):
        shutil.copy(ROOT / "examples" / "example_submission.ipynb", submissions / f"{name}.ipynb")
    batch = subprocess.Popen([sys.executable, "-m", "grader", "grade-batch", str(submissions),
                              "--out", str(tmp_path / "out"), "--jobs", "2", "--quiet", "--no-figures"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    started = set()
    while time.monotonic() < deadline and len(started) < 4:   # forkserver, workers, kernels
        time.sleep(0.5)
        started = descendants(batch.pid)
    assert len(started) >= 4, "the batch did not start its workers and kernels"
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(pid) for pid in started):
        time.sleep(0.5)
    left = [pid for pid in started if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} process(es) outlived the killed batch"
