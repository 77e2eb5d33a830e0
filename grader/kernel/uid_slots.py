"""The uid level's identities: a kernel's uid and gid (``UID_BASE`` + a slot held with ``flock`` for the
whole grading, so parallel gradings never share one), and what is left of a uid when grading ends
(its processes, whatever session or pid namespace they made; its files in the directories every user
may write; its System V IPC objects). :mod:`grader.kernel.sandbox_uid` runs kernels under them.
"""
import fcntl
import os
import secrets
import tempfile
from pathlib import Path

from grader.kernel.cgroup import kill_until_gone
from grader.kernel.kernel_files import remove_tree
from grader.kernel.launch import SandboxUnavailable
from grader.kernel.sysv_ipc import remove_ipc_of

UID_BASE = 61000            # kernel uids are UID_BASE + slot (gid the same); never an account's
UID_SLOTS = 200
LOCK_DIR = "week6-grader-uids"      # in /run (else the temp dir): root's, holds one lock file per uid
KILL_WAIT = 5.0
SHARED_WRITABLE = ["/tmp", "/var/tmp", "/dev/shm"]     # where any uid may write when no Landlock stops it


def _lock_dir() -> Path:
    """Root's directory of lock files, made if missing; refused if anyone else could write it."""
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    directory = base / LOCK_DIR
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    if not directory.is_dir() or directory.is_symlink() or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxUnavailable(f"{directory} (the uid level's lock files) is not a directory only root may write")
    return directory


def _account_uids() -> set[int]:
    import pwd
    return {entry.pw_uid for entry in pwd.getpwall()}


def claim_uid() -> tuple[int, int]:
    """(uid, fd of its lock): a kernel uid no other grading holds; what an earlier grader left
    of that uid (processes, System V IPC objects, files in the shared directories) goes first.

    The slots are tried from a random one on: the locks only see this machine's (or container's)
    gradings, while the kernel's uid is the host's. Containers on one Docker host share their uids'
    process counts (RLIMIT_NPROC), so two containers' kernels on the same uid would share one
    ``max_processes``, and a fork bomb in one would stop the other's kernel from starting."""
    directory, accounts = _lock_dir(), _account_uids()
    start = secrets.randbelow(UID_SLOTS)
    for uid in (UID_BASE + (start + k) % UID_SLOTS for k in range(UID_SLOTS)):
        if uid in accounts:
            continue
        fd = os.open(directory / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if kill_uid(uid) and not remove_ipc_of(uid):
            remove_files_of(uid)
            return uid, fd
        os.close(fd)
    raise SandboxUnavailable(f"all {UID_SLOTS} kernel uids from {UID_BASE} are in use")


def _status_fields(status: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in status.splitlines() if ":" in line)


def _pid_namespace_depth(fields: dict[str, str]) -> int:
    """How many pid namespaces the process is in, seen from this /proc (its ``NSpid`` pids); 0 where
    the kernel does not say (before Linux 4.1). Read from ``status``, which any user may read: the
    ``ns/pid`` link needs ptrace rights, which root lacks in a container (no CAP_SYS_PTRACE)."""
    return len(fields.get("NSpid", "").split())


def processes_of(uid: int) -> list[int]:
    """Live processes of this pid namespace any of whose uids (real, effective, saved, filesystem)
    is ``uid``. Another namespace's are not this grader's: a container's on the same machine, whose
    own grader gave its kernels the same uid (a kernel can make no pid namespace of its own), is one
    namespace deeper than this grader."""
    found = []
    own_depth = _pid_namespace_depth(_status_fields(Path("/proc/self/status").read_text()))
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = _status_fields(Path(entry.path, "status").read_text())
        except OSError:          # gone meanwhile
            continue
        if own_depth and _pid_namespace_depth(fields) != own_depth:
            continue
        if str(uid) in fields.get("Uid", "").split() and fields.get("State", "").split()[:1] not in (["Z"], ["X"]):
            found.append(int(entry.name))
    return found


def kill_uid(uid: int, wait: float = KILL_WAIT) -> bool:
    """SIGKILL every process of ``uid`` until none is left (True), or ``wait`` seconds pass."""
    return kill_until_gone(lambda: processes_of(uid), wait, interval=0.01)


def remove_files_of(uid: int, keep: tuple[str, ...] = ()) -> None:
    """Remove what ``uid`` left in the directories every user may write (its processes gone),
    except ``keep`` (its working directory, which the grader removes itself)."""
    for shared in SHARED_WRITABLE:
        try:
            entries = list(os.scandir(shared))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid or os.path.realpath(entry.path) in keep:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
