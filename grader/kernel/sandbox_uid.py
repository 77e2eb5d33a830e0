"""The uid level: confinement without namespaces, for a grader that runs as root.

Where user namespaces are refused (Docker's default seccomp profile,
Gradescope's containers) bubblewrap cannot run, but a grader running as root
can still give the kernel an identity of its own. The kernel is started as::

    [sh: enter cgroup] python -I uid_exec.py POLICY RUNTIME -- python -I -S -c LIMITS ... -- python -m ipykernel_launcher -f CONN

:mod:`grader.kernel.uid_exec` runs as root in the kernel's own process and, before
exec, drops it to a uid and gid of its own (``UID_BASE`` + a slot held with
``flock`` for the whole grading, so parallel gradings never share one; no
supplementary groups, no capabilities, no_new_privs, a new session) and
confines it with the kernel's own mechanisms, which need no mount:

* **Landlock** (Linux 5.13+): it may read and run only the system (``/usr``
  and the like), the interpreter and the venv (the project's own packages
  left out even where installed in it), read a few files of ``/etc`` and
  ``/proc``; write only its working directory and its runtime directory
  (ZeroMQ's sockets and the connection file). Nothing else of the machine:
  not the project (reference/, grader/, tests/, the original data), not the
  reference-outcome cache, the results, Gradescope's ``/autograder``, nor
  another submission. Landlock also keeps its signals and abstract Unix
  sockets inside, and TCP refused. These rules hold whatever path is
  tried (``..``, ``/proc/self/cwd``, ``/proc/1/root``): they follow the
  file, not the name; the grader's own ``/proc/<pid>`` entries are closed to
  another uid anyway.
* **seccomp** (:mod:`grader.kernel.seccomp_filter`, the filter of both confined
  levels): Unix stream sockets only and, where Landlock cannot scope pathname
  Unix sockets (ABI < 9, so also without Landlock), no connect() at all, so no
  socket of the host is reachable; no access to other processes, no System V
  IPC, no io_uring, no new namespaces.
* the rlimits of every level (:func:`grader.kernel.launch.limits_args`); here
  RLIMIT_NPROC applies for real, as the uid is not root; and the cgroup,
  where the grader can make one.
* when grading ends (and between kernel restarts), every process of the
  uid is killed, whatever session it made (:func:`grader.kernel.uid_slots.kill_uid`); when grading
  ends and before a uid is handed out, its System V IPC objects are removed
  (:mod:`grader.kernel.sysv_ipc`).

:func:`check_uid` tries all this once, as the kernel would run, and checks
that none of the grader's files (:func:`grader_paths`) can be read. Without
libseccomp the level is refused. Without Landlock (Linux before 5.13, Landlock
not enabled at boot, or a seccomp filter that refuses its calls: a container
under Docker's default profile before 20.10.18, or any profile that predates
them) only the file permissions are left: the level is refused unless they
already keep other users out of the grader's files; then the kernel still
reads what any user may read, and may write /tmp, /var/tmp and /dev/shm (its
files there are removed when grading ends, but the disk bound does not count
them). On Gradescope they do: ``setup.sh`` and ``run_autograder`` make the
source, the reference-outcome cache, the results and the rest of
:data:`GRADESCOPE_FILES` root-only (:func:`grader.gradescope.autograder.close_to_others`),
the venv staying outside them. :func:`why_no_landlock` says in one line why
Landlock is missing here; :func:`uid_enforcement` says what holds.
"""
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from project import PROJECT_ROOT, cache_dir
from grader.kernel import launch
from grader.kernel.cgroup import cgroup_prefix, cgroup_support
from grader.kernel.seccomp_filter import describe as describe_seccomp
from grader.kernel.sysv_ipc import remove_ipc_of
from grader.kernel.confined_view import (ETC_FILES, PROJECT_PACKAGES, RUNTIME_DIR, SYSTEM_TOPS,
                                         matplotlib_font_cache, python_paths, sandbox_env, site_packages)
from grader.kernel.landlock_refusal import landlock_refusal
from grader.kernel.launch import LaunchPrefix, SandboxUnavailable
from grader.kernel.uid_slots import UID_BASE, claim_uid, kill_uid, remove_files_of

EXEC_SCRIPT = Path(__file__).with_name("uid_exec.py")
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
READ_ONLY = ["/proc", "/sys/devices/system/cpu"]        # the CPU count and topology numpy's BLAS reads
# Gradescope's paths the kernel must not read: the source (reference/ inside), the script, the results, the
# grader's output, the submission's metadata (which holds the results of earlier submissions); the reference
# cache is checked wherever it is (grader_paths). grader/gradescope makes them root-only.
GRADESCOPE_FILES = ["/autograder/source", "/autograder/run_autograder", "/autograder/results",
                    "/autograder/grader-output", "/autograder/submission_metadata.json"]
LANDLOCK_UNIX_PATHS = 9     # the Landlock ABI that can scope connections to pathname Unix sockets (RESOLVE_UNIX)


# --------------------------------------------------------------------------- the prefix

class UidPrefix(LaunchPrefix):
    """A :class:`LaunchPrefix` whose sandbox is every process of one uid."""

    def __init__(self, args, uid, lock_fd, workdir, landlock, **kwargs):
        super().__init__(args, interrupt_mode="message", sandboxed=True, level="uid", **kwargs)
        self.uid = uid
        self.lock_fd = lock_fd
        self.workdir = str(workdir)
        self.landlock = landlock

    def kill_all(self):
        super().kill_all()
        kill_uid(self.uid)

    def hand_over(self, folder):
        os.fchown(folder.fd, self.uid, self.uid)

    def release(self):
        """Every process of the uid killed, its System V IPC objects and its files outside the
        working directory removed (files: only possible without Landlock), then the uid free for
        the next grading."""
        self.kill_all()
        remove_ipc_of(self.uid)
        if not self.landlock:
            remove_files_of(self.uid, keep=(self.workdir,))
        super().release()
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None


def _readable_below(path: str, excluded: list[str]) -> list[str]:
    """``path``, or (when an excluded path lies below it) its entries except the excluded ones."""
    if path in excluded:
        return []
    if not any(e.startswith(path.rstrip("/") + "/") for e in excluded):
        return [path]
    return [p for entry in sorted(os.listdir(path)) for p in _readable_below(os.path.join(path, entry), excluded)]


def _policy(workdir: Path, uid: int) -> dict:
    """What :mod:`grader.kernel.uid_exec` gets: the ids, the paths of the Landlock rules, the environment."""
    excluded = [os.path.join(site, name) for site in site_packages() for name in PROJECT_PACKAGES
                if os.path.lexists(os.path.join(site, name))]
    system = ["/usr"] + [top for top in SYSTEM_TOPS if os.path.isdir(top) and not os.path.islink(top)]
    interpreter = python_paths()
    for top in interpreter:
        _check_reachable(top, "the interpreter or its venv")
    read = [p for top in system + interpreter for p in _readable_below(top, excluded)]
    tmp = str(workdir / ".tmp")
    env = {key: tmp + value[len("/tmp"):] if value == "/tmp" or value.startswith("/tmp/") else value
           for key, value in sandbox_env(workdir).items()}
    env["JPY_PARENT_PID"] = str(os.getpid())        # ipykernel exits if the grader goes
    abi = landlock_abi()
    return {"uid": uid, "gid": uid, "landlock": abi > 0, "refuse_connect": abi < LANDLOCK_UNIX_PATHS, "read": read,
            "read_only": [p for p in READ_ONLY + ETC_FILES if os.path.exists(p)],
            "devices": [p for p in DEVICES if os.path.exists(p)],
            "write": [str(workdir)], "env": env}


def _check_reachable(path: str, what: str) -> None:
    """Landlock only narrows file permissions: the kernel's uid must be let through every
    directory above ``path`` (o+x) by the permissions themselves."""
    for parent in Path(path).parents:
        if not os.stat(parent).st_mode & 0o001:
            raise SandboxUnavailable(
                f"{what} ({path}) is inside {parent}, which other users may not enter, so a kernel of its own "
                f"uid cannot reach it. Let them pass (chmod o+x {parent}: Landlock still keeps the kernel out "
                "of everything else there), or install Python and the venv outside it.")


def _give_workdir(workdir: Path, uid: int) -> None:
    """The working directory becomes the uid's (its private /tmp inside)."""
    _check_reachable(str(workdir), "the kernel's working directory")
    matplotlib_dir = workdir / ".tmp" / "matplotlib"
    matplotlib_dir.mkdir(parents=True, exist_ok=True)
    font_cache = matplotlib_font_cache()
    if font_cache is not None:          # matplotlib's font list, built once by the grader: saves ~1.5 s per kernel
        shutil.copy(font_cache, matplotlib_dir / os.path.basename(font_cache))
    for directory, subdirs, files in os.walk(workdir):
        for name in [directory, *(os.path.join(directory, n) for n in subdirs + files)]:
            os.chown(name, uid, uid, follow_symlinks=False)
    os.chmod(workdir, 0o700)


def uid_launch_prefix(workdir: Path, config) -> LaunchPrefix:
    """The uid level's :class:`LaunchPrefix` for a kernel in ``workdir`` (made the uid's here).

    Raises :class:`SandboxUnavailable` when the level cannot be made here.
    """
    ok, why = check_uid()
    if not ok:
        raise SandboxUnavailable(f"No uid sandbox for the notebook's code: {why}")
    workdir = Path(os.path.realpath(workdir))
    uid, lock_fd = claim_uid()
    try:
        _give_workdir(workdir, uid)
        cgroup, args = cgroup_prefix(config)
        policy = _policy(workdir, uid)
        args += [sys.executable, "-I", str(EXEC_SCRIPT), json.dumps(policy), RUNTIME_DIR, "--"]
        args += launch.limits_args(config)
        return UidPrefix(args, uid, lock_fd, workdir, policy["landlock"], cgroup=cgroup,
                         quota=launch.disk_quota(workdir, config), env=policy["env"])
    except BaseException:
        os.close(lock_fd)
        raise


# --------------------------------------------------------------------------- can it be made here?

def landlock_abi() -> int:
    """The Landlock ABI version of this kernel; 0 where it has none or refuses the calls
    (Linux before 5.13, landlock not in the LSM list, a container's seccomp profile)."""
    try:
        import landlockpy
        return landlockpy.abi_version()
    except Exception:       # the package missing, or a refused call (EPERM from a seccomp profile)
        return 0


def why_no_landlock() -> str:
    """One line saying why this process cannot use Landlock; "" where it can."""
    if landlock_abi() > 0:
        return ""
    return landlock_refusal()


def grader_paths() -> list[str]:
    """What the kernel must not read, checked as the kernel: the project's top-level entries
    (except the venv the kernel runs from), the reference-outcome cache, Gradescope's files."""
    venvs = [os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix)]
    paths = [str(entry) for entry in sorted(PROJECT_ROOT.iterdir())
             if not any(venv == str(entry) or venv.startswith(str(entry) + "/") for venv in venvs)]
    cache = cache_dir()
    if cache is not None and cache.exists():
        paths.append(str(cache))
    return paths + [p for p in GRADESCOPE_FILES if os.path.exists(p)]


# Run as the kernel would be, with the policy of a scratch working directory: it prints the
# paths of argv it could read (a file opened, or a directory listed), then checks the rest.
CHECK_SOURCE = """\
import os, socket, sys
assert os.getuid() != 0 and os.geteuid() != 0, "still root"
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").close()
        print("READABLE", path)
    except OSError:
        pass
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sys.exit("an AF_INET socket could be opened")
except PermissionError:
    pass
unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    unix.connect("/nonexistent-week6-socket")
except PermissionError:
    pass
except OSError:
    sys.exit("connect() to a pathname Unix socket is not refused")
import ctypes
if ctypes.CDLL(None).shmget(0, 4096, 0o1600) != -1:
    sys.exit("System V shared memory can be made")
open("written", "w").close()
"""


@functools.lru_cache(maxsize=None)
def check_uid() -> tuple[bool, str]:
    """(True, "") when the uid level can be made here, else (False, why); tried once per
    process, by starting Python under the very confinement a kernel gets, which must then
    read none of :func:`grader_paths`.

    Without Landlock the level holds only where the file permissions already keep other users
    out of the grader's files (as in a Gradescope image whose setup made them root-only)."""
    if os.geteuid() != 0:
        return False, "the uid level needs the grader to run as root"
    try:
        import pyseccomp  # noqa: F401  (loads libseccomp.so.2)
    except Exception as error:
        return False, f"no seccomp filter can be made: libseccomp or pyseccomp is missing ({error})"
    scratch = Path(tempfile.mkdtemp(prefix="week6-uid-check-"))
    runtime = Path(tempfile.mkdtemp(prefix="week6-uid-check-")) / "k1"
    runtime.mkdir()
    try:
        try:
            uid, lock_fd = claim_uid()
        except SandboxUnavailable as error:
            return False, str(error)
        try:
            _give_workdir(scratch, uid)
            protected = grader_paths()
            command = [sys.executable, "-I", str(EXEC_SCRIPT), json.dumps(_policy(scratch, uid)), str(runtime), "--",
                       sys.executable, "-I", "-S", "-c", CHECK_SOURCE, *protected]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as error:
                return False, f"the uid sandbox could not be run: {error}"
            finally:
                kill_uid(uid)
                remove_files_of(uid, keep=(str(scratch),))
        except SandboxUnavailable as error:
            return False, str(error)
        finally:
            os.close(lock_fd)
        if done.returncode != 0 or not (scratch / "written").is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()
            return False, f"the uid sandbox does not hold here ({detail[-1] if detail else done.returncode})"
        readable = [line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("READABLE ")]
        if readable:
            shown = ", ".join(readable[:4]) + (f" and {len(readable) - 4} more" if len(readable) > 4 else "")
            return False, (f"no Landlock here ({why_no_landlock()}), so only file permissions keep the kernel out, "
                           f"and other users can read the grader's files: {shown}. Make them root-only (chmod -R "
                           "go-rwx; on Gradescope the zip's setup.sh does), keeping the venv outside them, or "
                           "grade where Landlock works (Linux 5.13+, and in Docker 20.10.18+ or a seccomp profile "
                           "that allows landlock_create_ruleset, landlock_add_rule and landlock_restrict_self).")
        return True, ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(runtime.parent, ignore_errors=True)


def uid_enforcement(config) -> dict[str, str]:
    """What the uid level enforces on this machine for ``config``: {limit: description}."""
    ok, why = check_uid()
    if not ok:
        return {"isolation": f"UNAVAILABLE: {why}"}
    abi = landlock_abi()
    cgroups = cgroup_support(config.memory_limit_mb, config.max_processes)
    memory = f"RLIMIT_AS {config.memory_limit_mb} MiB per process"
    memory += (f" + cgroup memory limit {config.memory_limit_mb} MiB for the whole sandbox" if "memory" in cgroups
               else " (no memory cgroup here: the total over several processes is not capped)")
    processes = f"RLIMIT_NPROC = {config.max_processes} (per kernel: each has its own uid)"
    if "pids" in cgroups:
        processes += f" + cgroup pids.max = {config.max_processes}"
    return {
        "isolation": (f"own uid/gid from {UID_BASE} (no groups, no capabilities, no_new_privs, own session); "
                      + (f"Landlock ABI {abi}: reads only the system, the interpreter and the venv, writes only its "
                         "working and runtime directories"
                         + ("; its signals and abstract Unix sockets stay inside" if abi >= 6 else "")
                         if abi else
                         f"NO Landlock here ({why_no_landlock()}): file permissions only. The grader's files were "
                         "checked unreadable to it, but it reads what any user may read on this machine, and may "
                         "write /tmp, /var/tmp and /dev/shm (not counted by the disk bound; removed when grading "
                         "ends)")),
        "network": ("seccomp: Unix stream sockets only (AF_INET/AF_INET6 and the others get EPERM)"
                    + ("; Landlock refuses TCP too" if abi >= 4 else "")
                    + ("; Landlock lets it connect only to sockets in its own directories" if abi >= LANDLOCK_UNIX_PATHS
                       else f"; Landlock ABI {abi} here cannot scope pathname Unix sockets (ABI "
                            f"{LANDLOCK_UNIX_PATHS} can), so seccomp refuses connect() altogether: no socket of the "
                            "host is reachable (nor one the notebook makes itself)")),
        "seccomp": describe_seccomp(abi < LANDLOCK_UNIX_PATHS),
        "visible": ("what any user may read: every process's command line and status in /proc (not their "
                    "environment, memory or descriptors, which are other uids'), and the system's files"),
        "cell timeout": f"{config.cell_timeout:g} s per cell (interrupt by message, then restart)",
        "notebook timeout": f"{config.notebook_timeout:g} s for all cells",
        "memory": memory,
        "processes": processes,
        "files": (f"RLIMIT_FSIZE {launch.MAX_FILE_BYTES // 2**20} MiB per file; working directory "
                  + (f"{config.disk_limit_mb} MiB in all (grader/kernel/disk_quota.py)" if config.disk_limit_mb
                     else "total NOT capped (disk_limit_mb = 0)")),
        "leftovers": ("every process of the uid is killed when grading ends, whatever session it made, and its "
                      "System V IPC objects removed (before a uid is handed out, too)"),
        "output": f"{config.max_cell_output_bytes} bytes per cell, {config.max_notebook_output_bytes} per notebook kept",
    }
