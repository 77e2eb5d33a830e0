"""The bound on what a notebook may write: its working directory's total size and file count.

Every sandbox level (bwrap, uid, none) lets the kernel write into its working
directory (and its runtime directory, where its sockets live). RLIMIT_FSIZE
caps each file; this caps their sum. No mount is needed (a size-limited
tmpfs or loop device needs privileges that containers refuse), so a
watchdog thread in the grader walks those directories every
:data:`POLL_SECONDS` (a few files: microseconds) and, past the limit, kills
every process of the sandbox at once. The cell that was running reports the
reason (:meth:`DiskQuota.take_reason`), the files the notebook wrote are
removed (:meth:`DiskQuota.clean`, before the next kernel starts), and the
kernel session replays the notebook without that cell, so the rest is graded.

How far past the limit a writer gets is its write rate times the poll
interval plus the kill's latency (measured here: a few tens of MiB at
~460 MB/s), and at most one RLIMIT_FSIZE-sized ``write`` beyond that.
Sizes count ``max(st_size, st_blocks * 512)``: allocated blocks, and the
apparent size where a file system reports its blocks late.
"""
import os
import stat
import threading
from pathlib import Path
from typing import Callable

POLL_SECONDS = 0.05
MAX_ENTRIES = 10_000        # files and directories: a million empty files is a disk fill too
MAX_DEPTH = 64              # directories nested deeper than this count as too many files


def _entry_bytes(info: os.stat_result) -> int:
    return max(info.st_size, info.st_blocks * 512)


def usage(directory: Path, stop_at_entries: int | None = None) -> tuple[int, int]:
    """(bytes, entries) below ``directory``, symbolic links not followed; the walk stops
    early once ``stop_at_entries`` is passed (the limit is broken anyway).

    It goes by directory descriptors, so no depth of nesting hides a file (a path past
    PATH_MAX could not be opened by name); a tree deeper than :data:`MAX_DEPTH` counts as
    over any entry limit."""
    total, entries = 0, 0
    try:
        top = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return 0, 0
    stack = [(top, os.scandir(top))]
    try:
        while stack:
            fd, listing = stack[-1]
            entry = next(listing, None)
            if entry is None:
                listing.close()
                os.close(fd)
                stack.pop()
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:            # removed while we looked
                continue
            entries += 1
            total += _entry_bytes(info)
            if stop_at_entries is not None and entries > stop_at_entries:
                break
            if stat.S_ISDIR(info.st_mode):
                if len(stack) >= MAX_DEPTH:
                    entries = max(entries, (stop_at_entries or 0) + 1, MAX_ENTRIES + 1)
                    break
                try:
                    sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError:
                    continue
                stack.append((sub, os.scandir(sub)))
    finally:
        for fd, listing in stack:
            listing.close()
            os.close(fd)
    return total, entries


def _identity(info: os.stat_result) -> tuple:
    return info.st_ino, info.st_size, info.st_mtime_ns


def _snapshot(root: Path) -> dict[str, tuple]:
    """{path relative to ``root``: (inode, size, mtime)} of everything below it."""
    found = {}
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            path = os.path.join(directory, name)
            try:
                found[os.path.relpath(path, root)] = _identity(os.lstat(path))
            except OSError:
                pass
    return found


class DiskQuota:
    """Watches a kernel's working directory (and its runtime directories) against a size limit.

    What is in the working directory when the quota is made (the data files)
    and what the grader adds with :meth:`keep` survives :meth:`clean`, if
    unchanged; everything else there is the notebook's.
    """

    def __init__(self, workdir: Path, limit_bytes: int, max_entries: int = MAX_ENTRIES,
                 interval: float = POLL_SECONDS):
        self.workdir = Path(workdir)
        self.limit_bytes = int(limit_bytes)
        self.max_entries = int(max_entries)
        self.interval = interval
        self.kept = _snapshot(self.workdir)
        self.runtime_dirs: list[Path] = []
        self.tripped: str | None = None       # why the last kernel was stopped (until cleaned)
        self.largest_seen = 0                 # bytes: the most the directories held at one poll
        self._reason: str | None = None       # not yet reported to a cell
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def limit_mib(self) -> int:
        return self.limit_bytes // 2**20

    def keep(self, path: Path) -> None:
        """Mark a file or directory tree the grader wrote in the working directory as its own."""
        path = Path(path)
        if path.is_dir() and not path.is_symlink():
            self.kept.update({os.path.relpath(os.path.join(path, rel), self.workdir): ident
                              for rel, ident in _snapshot(path).items()})
        self.kept[os.path.relpath(path, self.workdir)] = _identity(os.lstat(path))

    def usage(self) -> tuple[int, int]:
        """(bytes, entries) the kernel's directories hold now."""
        total, entries = 0, 0
        for directory in [self.workdir, *self.runtime_dirs]:
            more_bytes, more_entries = usage(directory, self.max_entries)
            total, entries = total + more_bytes, entries + more_entries
        return total, entries

    def watch(self, runtime_dir: Path | None, kill: Callable[[], None]) -> None:
        """Start polling (a new kernel started); ``kill`` stops every process of the sandbox."""
        self.stop()
        if runtime_dir is not None:
            self.runtime_dirs.append(Path(runtime_dir))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(self._stop, kill),
                                        name="week6-disk-quota", daemon=True)
        self._thread.start()

    def _poll(self, stop: threading.Event, kill: Callable[[], None]) -> None:
        while not stop.wait(self.interval):
            total, entries = self.usage()
            self.largest_seen = max(self.largest_seen, total)
            if total > self.limit_bytes:
                why = f"the working directory reached its {self.limit_mib} MiB limit"
            elif entries > self.max_entries:
                why = f"the working directory reached its limit of {self.max_entries:,} files"
            else:
                continue
            # the reason first: the grader sees the kernel die while kill() runs, and asks why then
            with self._lock:
                self.tripped = self._reason = why
            kill()
            return

    def stop(self) -> None:
        """Stop polling (the kernel is stopped or about to be)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def take_reason(self) -> str | None:
        """Why the kernel was stopped, once: for the message of the cell it was running."""
        with self._lock:
            reason, self._reason = self._reason, None
        if reason is None:
            return None
        return (f"{reason}: the notebook's code was stopped, and the files it wrote are removed "
                "before the notebook goes on without this cell")

    def clean(self) -> None:
        """After a trip, with the sandbox's processes gone: remove what the notebook wrote
        (everything not kept, or kept but changed since), and empty the runtime directories
        of the stopped kernels. Works on directory descriptors, never following a link.

        The watchdog is stopped first: a kill it has begun ends before anything is looked at,
        so no file of the stopped kernel survives into the next one."""
        self.stop()
        if self.tripped is None:
            return
        _clean_tree(self.workdir, self.kept)
        for directory in self.runtime_dirs:
            _clean_tree(directory, {})
        self.tripped = None


def _clean_tree(root: Path, kept: dict[str, tuple]) -> None:
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        _clean_dir(fd, "", kept)
    finally:
        os.close(fd)


def _clean_dir(fd: int, relative: str, kept: dict[str, tuple]) -> None:
    for entry in os.scandir(fd):
        rel = os.path.join(relative, entry.name) if relative else entry.name
        try:
            info = os.stat(entry.name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            if kept.get(rel) != _identity(info):
                try:
                    os.unlink(entry.name, dir_fd=fd)
                except OSError:
                    pass
        elif rel in kept and kept[rel][0] == info.st_ino:
            try:
                sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError:
                continue
            try:
                _clean_dir(sub, rel, kept)
            finally:
                os.close(sub)
        else:
            _remove_tree(fd, entry.name)


def _remove_tree(fd: int, name: str) -> None:
    """``name`` in the directory ``fd``, and everything below it, never through a symlink (what
    shutil.rmtree(name, dir_fd=fd) does, but that needs Python 3.11: on 3.10 it raised TypeError)."""
    try:
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError:
        return
    try:
        for entry in os.scandir(sub):
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(sub, entry.name)
            else:
                try:
                    os.unlink(entry.name, dir_fd=sub)
                except OSError:
                    pass
    finally:
        os.close(sub)
    try:
        os.rmdir(name, dir_fd=fd)
    except OSError:
        pass
