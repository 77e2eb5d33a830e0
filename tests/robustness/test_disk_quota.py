"""The disk bound (grader/kernel/disk_quota.py) at every level, with real kernels: a notebook that
writes 3 GB in files under the per-file cap is stopped well below 1 GB, its cell says why, the rest is graded.

The bytes on disk are watched here by a thread of the test's own (not the quota's count).
"""
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from grader.kernel.disk_quota import MAX_ENTRIES, DiskQuota, usage
from grader.kernel.sandbox import MAX_FILE_BYTES
from grader.pipeline import grade_notebook
from tests.robustness.level_fixtures import (cell_text, config_for, notebook_with, record_of,
                                             require_level, source_cell, work_root)
from tests.answered import FULL_MARKS


FILE_MIB = MAX_FILE_BYTES // 2**20 - 1        # each file just under the per-file cap (RLIMIT_FSIZE)
FILL = f'''
import os
block = b"x" * (1024 * 1024)
for n in range({3 * 1024 // FILE_MIB}):   # 3 GB in files under the per-file cap
    with open("fill-%02d.bin" % n, "wb") as handle:
        for _ in range({FILE_MIB}):
            handle.write(block)
print("FILLED")
'''
LATER = 'import os\nprint("LATER CELL RAN", sorted(os.listdir(".")))'
GIB = 2**30


def _bytes_below(root):
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            total += max(info.st_size, info.st_blocks * 512)
    return total


class PeakWatcher:
    """The most bytes ``root`` held at once, polled every 5 ms until stopped."""

    def __init__(self, root):
        self.root, self.peak, self.done = root, 0, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        while not self.done.wait(0.005):
            self.peak = max(self.peak, _bytes_below(self.root))

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak


@pytest.fixture
def grader_temp():
    root = work_root()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("level", ["bwrap", "uid", "none"])
def test_a_disk_fill_is_stopped_and_the_rest_is_graded(level, grader_temp, tmp_path, monkeypatch):
    require_level(level)
    config = config_for(level)
    notebook = notebook_with(tmp_path / "fill.ipynb", [FILL, LATER], after=3)
    watcher = PeakWatcher(grader_temp)
    started = time.monotonic()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(tempfile, "tempdir", str(grader_temp))
            run = grade_notebook(notebook, tmp_path / "out", config)
    finally:
        peak = watcher.stop()
    seconds = time.monotonic() - started
    print(f"\n{level}: peak {peak / 2**20:.0f} MiB in the working directories "
          f"(limit {config.disk_limit_mb} MiB), grading {seconds:.1f} s")
    assert run.status == "graded", run.message
    fill = record_of(run, "3 GB in files under")
    assert fill.status == "died", fill
    assert f"the working directory reached its {config.disk_limit_mb} MiB limit" in fill.evalue
    assert "FILLED" not in cell_text(source_cell(run, "3 GB in files under"))
    assert peak < GIB / 2, f"{peak / 2**20:.0f} MiB were written before the notebook was stopped"
    assert peak > config.disk_limit_mb * 2**20, "the watcher never saw the fill (the test would prove nothing)"
    assert "LATER CELL RAN" in cell_text(source_cell(run, "LATER CELL RAN"))
    assert "fill-00.bin" not in cell_text(source_cell(run, "LATER CELL RAN"))     # the fill's files were removed
    assert run.score == FULL_MARKS, [(t.id, t.message) for t in run.tests if t.score < t.max_score]


def test_a_cleanup_removes_the_notebooks_files_only_and_follows_no_link(tmp_path):
    workdir, outside = tmp_path / "work", tmp_path / "outside.txt"
    workdir.mkdir()
    outside.write_text("the grader's")
    (workdir / "data.mat").write_bytes(b"seed")
    quota = DiskQuota(workdir, limit_bytes=1000, interval=0.01)
    exchange = workdir / ".grader-1"
    exchange.mkdir()
    (exchange / "inputs.npz").write_bytes(b"plan")
    quota.probe_folder(exchange)                        # as the probe stage does: its folder, its files
    quota.keep(exchange / "inputs.npz")
    (exchange / "out").mkdir()                          # then the kernel's (read by the grader before a cleanup)
    (exchange / "out" / "p.npy").write_bytes(b"o" * 600)
    (workdir / "big.bin").write_bytes(b"b" * 600)
    (workdir / "link").symlink_to(outside)
    (workdir / "dirlink").symlink_to(tmp_path)
    killed = threading.Event()
    quota.watch(None, killed.set)
    assert killed.wait(5), "the quota never saw the directory over its limit"
    quota.stop()
    assert quota.take_reason().startswith("the working directory reached its 0 MiB limit")
    assert quota.take_reason() is None                  # said once, for the cell that was running
    quota.clean()
    left = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*"))
    assert left == [".grader-1", ".grader-1/inputs.npz", "data.mat"], left
    assert outside.read_text() == "the grader's"
    assert Path(tmp_path / "outside.txt").exists()


def test_the_reason_is_known_before_the_kill_begins(tmp_path):
    """The grader sees the kernel die while the kill runs and asks why at once: a reason set only
    after the kill read as "the kernel died", and the cleanup it gates never ran."""
    (tmp_path / "big.bin").write_bytes(b"b" * 2000)
    quota = DiskQuota(tmp_path, limit_bytes=0, interval=0.01)
    (tmp_path / "more.bin").write_bytes(b"m" * 2000)
    seen, killed = [], threading.Event()

    def kill():
        seen.append(quota.tripped)
        killed.set()

    quota.watch(None, kill)
    assert killed.wait(5), "the quota never saw the directory over its limit"
    quota.stop()
    assert seen[0] is not None and "0 MiB limit" in seen[0], seen


def test_a_cleanup_waits_for_a_kill_under_way_and_removes_its_files(tmp_path):
    """The next kernel is prepared while the watchdog may still be killing the last one: the files
    that tripped it must be gone before the new kernel starts, or they trip the new one too (which
    then loses a cell of the replay, the notebook's imports say)."""
    quota = DiskQuota(tmp_path, limit_bytes=1000, interval=0.01)
    dying = threading.Event()

    def slow_kill():
        dying.set()
        time.sleep(0.3)                         # a sandbox's processes take a moment to go

    (tmp_path / "fill.bin").write_bytes(b"f" * 5000)
    quota.watch(None, slow_kill)
    assert dying.wait(5), "the quota never saw the directory over its limit"
    quota.clean()                               # what the next kernel's prepare() does, at once
    assert not (tmp_path / "fill.bin").exists()
    assert quota.usage()[0] <= quota.limit_bytes


def test_no_depth_of_nesting_hides_a_file(tmp_path):
    """Paths past PATH_MAX cannot be opened by name: the count must still find what is below them."""
    deep = os.open(tmp_path, os.O_RDONLY)
    name = "d" * 250
    for _ in range(20):                     # 20 x 251 characters: past PATH_MAX (4096)
        os.mkdir(name, dir_fd=deep)
        inner = os.open(name, os.O_RDONLY, dir_fd=deep)
        os.close(deep)
        deep = inner
    hidden = os.open("hidden.bin", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=deep)
    os.write(hidden, b"h" * 2**20)
    os.close(hidden)
    os.close(deep)
    total, entries = usage(tmp_path)
    assert entries == 21 and total >= 2**20
    shutil.rmtree(tmp_path, ignore_errors=True)


MANY_FILES = f'''
import os
os.makedirs("many", exist_ok=True)
for n in range({3 * MAX_ENTRIES}):        # empty files: no bytes, but a file system full of entries
    open("many/%06d" % n, "w").close()
print("CREATED ALL")
'''


def test_a_flood_of_empty_files_is_stopped_too(grader_temp, tmp_path, monkeypatch):
    require_level("bwrap")
    notebook = notebook_with(tmp_path / "many.ipynb", [MANY_FILES, LATER], after=3)
    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(grader_temp))
        run = grade_notebook(notebook, tmp_path / "out", config_for("bwrap"))
    flood = record_of(run, "empty files: no bytes")
    assert flood.status == "died" and f"limit of {MAX_ENTRIES:,} files" in flood.evalue, flood
    later = cell_text(source_cell(run, "LATER CELL RAN"))
    assert "LATER CELL RAN" in later and "'many'" not in later, later
    assert run.score == FULL_MARKS


@pytest.mark.parametrize("levels", [120, 10_000])
def test_nested_folders_count_as_what_they_are_not_as_their_depth(tmp_path, levels, nested_tree):
    """The third held-out round: 120 nested empty folders tripped the limit of 10,000 files (a depth
    past 64 counted as too many), and the cleanup that followed cost honest points."""
    (tmp_path / "data.mat").write_bytes(b"seed")
    quota = DiskQuota(tmp_path, limit_bytes=2**30)
    os.close(nested_tree(tmp_path, levels))
    assert quota.usage()[1] == levels                       # the data file is the grader's: not counted
    assert quota.over_limit() is None                            # 10,000 is the limit itself, not past it
    (tmp_path / "one-more").mkdir()
    assert (quota.over_limit() is not None) == (levels == 10_000)


def test_the_probes_folder_and_the_runtime_directory_are_counted_apart(tmp_path):
    workdir, runtime = tmp_path / "work", tmp_path / "runtime"
    workdir.mkdir()
    runtime.mkdir()
    quota = DiskQuota(workdir, limit_bytes=2**30, max_entries=10, max_exchange_entries=5)
    exchange = workdir / ".grader-1"
    exchange.mkdir()
    quota.probe_folder(exchange)
    (exchange / "inputs.npz").write_bytes(b"plan")
    quota.keep(exchange / "inputs.npz")
    for n in range(10):
        (workdir / f"mine-{n}").write_bytes(b"")
    for n in range(3):
        (exchange / f"output-{n}.npy").write_bytes(b"")
    quota.runtime_dirs.append(runtime)
    (runtime / "kernel.sock").write_bytes(b"")
    assert quota.usage()[1:] == (10, 4)
    assert quota.over_limit() is None
    (runtime / "connection.json").write_bytes(b"")
    (runtime / "kernel-stderr.log").write_bytes(b"")
    assert "shares with the grader" in quota.over_limit()
    (workdir / "mine-10").write_bytes(b"")
    assert "limit of 10 files" in quota.over_limit()


def test_a_cell_that_wrote_too_much_is_named_after_it_ran(tmp_path):
    """The check after each cell stops the sandbox at once, so the cell that wrote too much is the one
    left out whether or not a poll fell inside it; a poll that stopped it a moment after the cell ended
    is reported for that cell too, once."""
    quota = DiskQuota(tmp_path, limit_bytes=1000, interval=60)     # no poll comes: only the check sees it
    kills = []
    quota.watch(None, lambda: kills.append(1))
    assert quota.check() is None and not kills
    (tmp_path / "big.bin").write_bytes(b"b" * 5000)
    reason = quota.check()
    assert reason.startswith("the working directory reached its 0 MiB limit") and kills == [1]
    assert quota.check() is None and kills == [1]                   # said once, killed once
    quota.clean()
    assert not (tmp_path / "big.bin").exists()
    quota.interval = 0.01
    polled = threading.Event()
    quota.watch(None, polled.set)
    (tmp_path / "big.bin").write_bytes(b"b" * 5000)
    assert polled.wait(5), "the quota never saw the directory over its limit"
    assert quota.check().startswith("the working directory reached its 0 MiB limit")   # the poll's reason
    assert quota.check() is None
    quota.stop()


def test_a_cleanup_removes_a_tree_of_any_depth_and_leaves_the_probes_folder(tmp_path, nested_tree):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "data.mat").write_bytes(b"seed")
    quota = DiskQuota(workdir, limit_bytes=1000, interval=60)
    exchange = workdir / ".grader-1"
    exchange.mkdir()
    quota.probe_folder(exchange)
    (exchange / "1b-0.json").write_bytes(b"[]")
    quota.keep(exchange / "1b-0.json")
    (exchange / "planted").mkdir()                                   # the kernel's, in the grader's folder
    os.close(nested_tree(workdir, 3_000))
    (workdir / "big.bin").write_bytes(b"b" * 5000)
    quota.watch(None, lambda: None)
    assert quota.check() is not None
    quota.clean()
    left = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*"))
    assert left == [".grader-1", ".grader-1/1b-0.json", "data.mat"], left
