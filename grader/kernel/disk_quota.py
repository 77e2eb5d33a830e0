"""The bound on what a notebook may write: its working directory's total size and file count.

Every sandbox level (bwrap, uid, none) lets the kernel write into its working
directory (and its runtime directory, where its sockets live). RLIMIT_FSIZE
caps each file; this caps their sum. No mount is needed (a size-limited
tmpfs or loop device needs privileges that containers refuse), so a
watchdog thread in the grader walks those directories and, past the limit,
kills every process of the sandbox at once. The cell that was running reports
the reason (:meth:`DiskQuota.take_reason`), the files the notebook wrote are
removed (:meth:`DiskQuota.clean`, before the next kernel starts), and the
kernel session replays the notebook without that cell, so the rest is graded.
The session also asks (:meth:`DiskQuota.check`) after every cell, so a cell that
writes too much is the one stopped and left out whether or not a poll fell
inside it: the same notebook is graded the same on every run.

What is counted is what the notebook made, at any depth: every entry below
those directories but the grader's own (the data files, and what :meth:`keep`
marks), walked by descriptors (:func:`grader.kernel.kernel_files.walk`), so no
nesting hides a file and none costs more than its one entry. What the grader
and the kernel exchange through is counted apart (:data:`MAX_EXCHANGE_ENTRIES`):
the probes' folder (:meth:`probe_folder`: the grader's, where the kernel writes
the probes' outputs; a cleanup leaves the grader's files in it) and the runtime
directory (the kernel's sockets and log), so the notebook's own files may use
the whole :data:`MAX_ENTRIES`.

How often: every :data:`POLL_SECONDS`, or :data:`POLL_COST_FACTOR` times as
long as the last walk took (capped at :data:`MAX_POLL_SECONDS`), so a tree of
10,000 entries costs the grader at most about a fifth of a core. How far past
the limit a writer gets is its write rate times that interval plus the kill's
latency (measured here: a few tens of MiB at ~460 MB/s with few files), and at
most one RLIMIT_FSIZE-sized ``write`` beyond that. Sizes count
``max(st_size, st_blocks * 512)``: allocated blocks, and the apparent size where
a file system reports its blocks late.
"""
import os
import stat
import threading
import time
from pathlib import Path
from typing import Callable

from grader.kernel.kernel_files import DIR_FLAGS, TreeMoved, remove_tree, walk

POLL_SECONDS = 0.05
POLL_COST_FACTOR = 4          # the watchdog waits at least this many times as long as its last walk took
MAX_POLL_SECONDS = 1.0
MAX_ENTRIES = 10_000          # files and directories the notebook made: a million empty files is a disk fill too
MAX_EXCHANGE_ENTRIES = 1_000  # in the probes' folder and the runtime directories (a few dozen files each)


def _entry_bytes(info: os.stat_result) -> int:
    return max(info.st_size, info.st_blocks * 512)


def _identity(info: os.stat_result) -> tuple:
    return info.st_ino, info.st_size, info.st_mtime_ns


def usage(directory: Path, stop_at_entries: int | None = None) -> tuple[int, int]:
    """(bytes, entries) below ``directory``, links not followed, at any depth; the walk stops
    early once ``stop_at_entries`` is passed (the limit is broken anyway)."""
    total, entries = 0, 0
    try:
        top = os.open(directory, DIR_FLAGS)
    except OSError:
        return 0, 0
    try:
        for _, _, info, _ in walk(top):
            entries += 1
            total += _entry_bytes(info)
            if stop_at_entries is not None and entries > stop_at_entries:
                break
    except (TreeMoved, OSError):         # moved or removed while walked: the next poll counts again
        pass
    finally:
        os.close(top)
    return total, entries


class DiskQuota:
    """Watches a kernel's working directory (and its runtime directories) against a size limit.

    What is in the working directory when the quota is made (the data files)
    and what the grader adds with :meth:`keep` is the grader's: not counted,
    and left by :meth:`clean` if unchanged; everything else there is the notebook's.
    """

    def __init__(self, workdir: Path, limit_bytes: int, max_entries: int = MAX_ENTRIES,
                 interval: float = POLL_SECONDS, max_exchange_entries: int = MAX_EXCHANGE_ENTRIES):
        self.workdir = Path(workdir)
        self.limit_bytes = int(limit_bytes)
        self.max_entries = int(max_entries)
        self.max_exchange_entries = int(max_exchange_entries)
        self.interval = interval
        self.kept: dict[tuple, tuple] = {}      # path below the working directory (a tuple of names) -> identity
        self.probe_folders: set[str] = set()    # names (in the working directory) of the probes' folders
        for parents, name, info in self._entries(self.workdir):
            self.kept[(*parents, name)] = _identity(info)
        self.runtime_dirs: list[Path] = []
        self.tripped: str | None = None       # why the last kernel was stopped (until cleaned)
        self.largest_seen = 0                 # bytes: the most the directories held at one poll
        self._reason: str | None = None       # not yet reported to a cell
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._kill: Callable[[], None] | None = None

    @property
    def limit_mib(self) -> int:
        return self.limit_bytes // 2**20

    @property
    def _kept_depth(self) -> int:
        return max((len(path) for path in self.kept), default=0)

    @staticmethod
    def _entries(root: Path):
        """(parents tuple, name, lstat) of everything below ``root`` (for what the grader made)."""
        try:
            top = os.open(root, DIR_FLAGS)
        except OSError:
            return
        try:
            for parents, name, info, _ in walk(top):
                yield tuple(parents), name, info
        except (TreeMoved, OSError):
            pass
        finally:
            os.close(top)

    def _relative(self, path: Path) -> tuple:
        return Path(os.path.relpath(path, self.workdir)).parts

    def keep(self, path: Path) -> None:
        """Mark ``path``, a file or directory the grader made in the working directory, as its own
        (a directory: itself, not what is in it)."""
        self.kept[self._relative(path)] = _identity(os.lstat(path))

    def probe_folder(self, path: Path) -> None:
        """``path`` (a directory of the working directory) is the grader's folder for the probes:
        kept, and what the kernel writes in it is counted apart (:data:`MAX_EXCHANGE_ENTRIES`)."""
        self.keep(path)
        self.probe_folders.add(self._relative(path)[0])

    def _is_kept(self, parents: list, name: str, info: os.stat_result, depth_limit: int) -> bool:
        if len(parents) >= depth_limit:
            return False
        identity = self.kept.get((*parents, name))
        if identity is None:
            return False
        return identity[0] == info.st_ino if stat.S_ISDIR(info.st_mode) else identity == _identity(info)

    def usage(self) -> tuple[int, int, int]:
        """(bytes, the notebook's entries, entries in the probes' folders and the runtime
        directories) the kernel's directories hold now; the walk stops once an entry limit is passed."""
        total, entries, exchange_entries = 0, 0, 0
        depth_limit = self._kept_depth
        try:
            top = os.open(self.workdir, DIR_FLAGS)
        except OSError:
            top = None
        if top is not None:
            try:
                for parents, name, info, _ in walk(top):
                    total += _entry_bytes(info)
                    if self._is_kept(parents, name, info, depth_limit):
                        continue
                    if (parents[0] if parents else name) in self.probe_folders:
                        exchange_entries += 1
                    else:
                        entries += 1
                    if entries > self.max_entries or exchange_entries > self.max_exchange_entries:
                        break
            except (TreeMoved, OSError):
                pass
            finally:
                os.close(top)
        for directory in self.runtime_dirs:
            more_bytes, more_entries = usage(directory, self.max_exchange_entries - exchange_entries)
            total, exchange_entries = total + more_bytes, exchange_entries + more_entries
        return total, entries, exchange_entries

    def over_limit(self) -> str | None:
        """Why the directories are over a limit now, or None."""
        total, entries, exchange_entries = self.usage()
        self.largest_seen = max(self.largest_seen, total)
        if total > self.limit_bytes:
            return f"the working directory reached its {self.limit_mib} MiB limit"
        if entries > self.max_entries:
            return f"the working directory reached its limit of {self.max_entries:,} files"
        if exchange_entries > self.max_exchange_entries:
            return (f"the folders the kernel shares with the grader reached their limit of "
                    f"{self.max_exchange_entries:,} files")
        return None

    def _trip(self, why: str, kill: Callable[[], None]) -> None:
        # the reason first: the grader sees the kernel die while kill() runs, and asks why then
        with self._lock:
            if self.tripped is not None:
                return
            self.tripped = self._reason = why
        kill()

    def watch(self, runtime_dir: Path | None, kill: Callable[[], None]) -> None:
        """Start polling (a new kernel started); ``kill`` stops every process of the sandbox."""
        self.stop()
        if runtime_dir is not None:
            self.runtime_dirs.append(Path(runtime_dir))
        self._kill = kill
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(self._stop, kill),
                                        name="week6-disk-quota", daemon=True)
        self._thread.start()

    def _poll(self, stop: threading.Event, kill: Callable[[], None]) -> None:
        wait = self.interval
        while not stop.wait(wait):
            started = time.monotonic()
            why = self.over_limit()
            if why is not None:
                self._trip(why, kill)
                return
            wait = min(max(self.interval, POLL_COST_FACTOR * (time.monotonic() - started)), MAX_POLL_SECONDS)

    def check(self) -> str | None:
        """After a cell that ended normally: when the directories are over a limit, stop the sandbox
        now, and say why (the cell that just ran wrote too much; so also when a poll stopped it a
        moment after the cell ended); else None."""
        if self._kill is not None and self.tripped is None:
            why = self.over_limit()
            if why is not None:
                self._trip(why, self._kill)
        return self.take_reason()

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
        (everything not kept, or kept but changed since; in the probes' folder too, whose
        outputs the grader has read by then), and empty the runtime directories of the stopped
        kernels. Works on directory descriptors, never following a link, at any depth.

        The watchdog is stopped first: a kill it has begun ends before anything is looked at,
        so no file of the stopped kernel survives into the next one."""
        self.stop()
        self._kill = None
        if self.tripped is None:
            return
        self._clean_tree(self.workdir, keep=True)
        for directory in self.runtime_dirs:
            self._clean_tree(directory, keep=False)
        self.tripped = None

    def _clean_tree(self, root: Path, keep: bool) -> None:
        try:
            top = os.open(root, DIR_FLAGS)
        except OSError:
            return
        depth_limit = self._kept_depth if keep else 0
        kept_dirs = set()

        def descend(parents, name, info):
            return (*parents, name) in kept_dirs

        try:
            for parents, name, info, dir_fd in walk(top, descend):
                if self._is_kept(parents, name, info, depth_limit):
                    if stat.S_ISDIR(info.st_mode):
                        kept_dirs.add((*parents, name))
                elif stat.S_ISDIR(info.st_mode):
                    remove_tree(name, dir_fd=dir_fd)
                else:
                    try:
                        os.unlink(name, dir_fd=dir_fd)
                    except OSError:
                        pass
        except (TreeMoved, OSError):
            pass
        finally:
            os.close(top)
