"""What one poll of the disk watchdog costs (grader/kernel/disk_quota.py, DiskQuota.usage) on the
trees a notebook can make: 120 and 10,000 nested folders, 100 folders of 90 files, 10,000 files in
one folder; side by side with os.walk + lstat over the same tree (it goes by path names: below
PATH_MAX it sees nothing, and before Python 3.12 it recurses), and the interval the watchdog then
waits.

The interval is max(POLL_SECONDS, POLL_COST_FACTOR x the walk's time), at most MAX_POLL_SECONDS:
the share of a core the watchdog takes is at most 1 / POLL_COST_FACTOR.

Then its cost in a real grading (the example, in this process, at the level ``auto`` picks): the
polls made, the CPU time their thread spent in them (``time.thread_time``) and its share of the
grading's wall time.
"""
import os
import statistics
import tempfile
import time
from pathlib import Path

from grader.kernel.disk_quota import MAX_POLL_SECONDS, POLL_COST_FACTOR, POLL_SECONDS, DiskQuota
from grader.kernel.kernel_files import remove_tree
from tests.robustness.trees import nested, wide

REPEATS = 5


TREES = {
    "120 nested folders": lambda top: os.close(nested(top, 120)),
    "10,000 nested folders": lambda top: os.close(nested(top, 10_000)),
    "100 folders x 90 files": lambda top: wide(top, 100, 90),
    "10,000 files in one folder": lambda top: wide(top, 1, 10_000),
}


def os_walk_count(top):
    count = 0
    for directory, subdirs, files in os.walk(top):
        for name in subdirs + files:
            try:
                os.lstat(os.path.join(directory, name))
                count += 1
            except OSError:
                pass
    return count


def median_seconds(function):
    times, result = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def during_a_grading():
    """(polls, CPU seconds in them, the grading's wall seconds, level) for the example graded here."""
    from project import PROJECT_ROOT
    from grader.config import GraderConfig
    from grader.kernel import sandbox
    from grader.kernel.disk_quota import DiskQuota
    from grader.pipeline import grade_notebook

    config = GraderConfig()
    level = sandbox.resolve_level(config)
    config.sandbox = level
    spent = []
    real_usage = DiskQuota.usage

    def counted(self):
        started = time.thread_time()
        try:
            return real_usage(self)
        finally:
            spent.append(time.thread_time() - started)

    DiskQuota.usage = counted
    out = Path(tempfile.mkdtemp(prefix="week6-bench-disk-grade-"))
    try:
        started = time.perf_counter()
        grade_notebook(PROJECT_ROOT / "examples" / "example_submission.ipynb", out, config)
        return len(spent), sum(spent), time.perf_counter() - started, level
    finally:
        DiskQuota.usage = real_usage
        remove_tree(out)


def run():
    print(f"median of {REPEATS}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'tree':28s} {'entries':>8s} {'usage()':>9s} {'os.walk':>9s} {'entries':>8s} {'ratio':>6s} {'next poll':>10s}")
    for label, make in TREES.items():
        top = Path(tempfile.mkdtemp(prefix="week6-bench-disk-"))
        try:
            quota = DiskQuota(top, limit_bytes=2**40, max_entries=10**9)
            make(top)
            ours, (_, entries, _) = median_seconds(quota.usage)
            wait = min(max(POLL_SECONDS, POLL_COST_FACTOR * ours), MAX_POLL_SECONDS)
            try:
                theirs, walked = median_seconds(lambda: os_walk_count(top))
                compared = f"{theirs * 1000:7.1f}ms {walked:8d} {ours / theirs:6.2f}"
            except RecursionError:          # os.walk recurses on Python before 3.12
                compared = f"{'RecursionError':>24s}"
            print(f"{label:28s} {entries:8d} {ours * 1000:7.1f}ms {compared} {wait * 1000:8.0f}ms")
        finally:
            remove_tree(top)            # (shutil.rmtree raises RecursionError on the deep one)
    try:
        polls, cpu, wall, level = during_a_grading()
    except Exception as error:          # no sandbox here: the level's own error says why
        print(f"\nduring a grading: NOT MEASURED ({type(error).__name__}: {error})")
        return
    print(f"\nduring a grading of the example ({level} level, load average {os.getloadavg()[0]:.1f}): "
          f"{polls} polls, {cpu * 1000:.0f} ms of CPU in them, {100 * cpu / wall:.1f}% of the grading's "
          f"{wall:.1f} s wall time (bound: {100 / POLL_COST_FACTOR:.0f}% of a core)")
