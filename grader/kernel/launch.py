"""What every sandbox level shares to start a kernel: the prefix object the kernel session uses
(:class:`LaunchPrefix`), the in-sandbox wrapper that sets the rlimits (:func:`limits_args`), the
bound on the working directory's size (:func:`disk_quota`) and the error of a level that cannot be
made (:class:`SandboxUnavailable`).

The levels themselves (:mod:`grader.kernel.sandbox`: which one grades; :mod:`grader.kernel.bwrap`,
:mod:`grader.kernel.sandbox_uid`) build on this module, which imports none of them.
"""
import os
import signal
import sys
from pathlib import Path

from grader.kernel.confined_view import KERNEL_LOG, RUNTIME_DIR
from grader.kernel.disk_quota import DiskQuota

MAX_FILE_BYTES = 64 * 2**20         # RLIMIT_FSIZE: largest file the kernel may write (bounds how far one write passes the disk limit)


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


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message says why and what to do."""


class LaunchPrefix(list):
    """The command prefix (a list), plus the cgroup it puts the kernel in and how to interrupt it.

    ``prepare()`` before each kernel start, ``started(pid, runtime_dir)`` once it
    runs, ``release()`` after the last one; ``kill_all()`` kills whatever the
    sandbox still runs (between restarts). ``quota`` (a
    :class:`grader.kernel.disk_quota.DiskQuota`) bounds what the kernel writes: past
    its limit the sandbox is killed, and :meth:`death_reason` says why. ``env``: the whole
    environment the prefix's first command starts with (None: the grader's own, at the level
    "none").
    """

    def __init__(self, args, cgroup=None, interrupt_mode="signal", sandboxed=False, quota=None, level="none",
                 env=None):
        super().__init__(args)
        self.env = env
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
            self.quota.watch(runtime_dir, self.stop_now)

    def stop_now(self):
        """Kill the sandbox now (from the quota's thread, or past the grading's deadline): its
        group (the kernel is a session leader; bwrap's pid namespace dies with it), then whatever
        kill_all reaches."""
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

    def hand_over(self, folder):
        """``folder`` (a :class:`grader.kernel.kernel_files.KernelDir` the grader made in the working
        directory) is where the kernel writes."""

    def keep(self, path):
        """``path`` (made by the grader in the working directory) is the grader's: a disk-limit
        cleanup leaves it, and the disk bound does not count it."""
        if self.quota is not None:
            self.quota.keep(path)

    def probe_folder(self, path):
        """``path`` (a directory the grader made in the working directory) holds the probes'
        files: kept, and what the kernel writes there is counted apart from the notebook's files."""
        if self.quota is not None:
            self.quota.probe_folder(path)

    def check_disk(self):
        """After a cell: why the sandbox was stopped for what that cell wrote (the disk bound), or None."""
        return self.quota.check() if self.quota is not None else None

    def kill_all(self):
        """Kill whatever the sandbox still runs; the kernel's pid is forgotten (it may be reused)."""
        self.kernel_pid = None
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def release(self):
        if self.quota is not None:
            self.quota.stop()
        if self.cgroup is not None:
            self.cgroup.remove()


def limits_args(config):
    """The in-sandbox wrapper that sets the rlimits and execs the kernel command following it."""
    limits = ["CORE=0", f"FSIZE={MAX_FILE_BYTES}"]
    if config.memory_limit_mb:
        limits.append(f"AS={int(config.memory_limit_mb) * 2**20}")
    if config.max_processes:
        limits.append(f"NPROC={int(config.max_processes)}")
    limits.append(f"LOG={RUNTIME_DIR}/{KERNEL_LOG}")
    return [sys.executable, "-I", "-S", "-c", LIMITS_SOURCE, *limits, "--"]


def disk_quota(workdir, config):
    """The bound on the working directory's size, for every level (None: config.disk_limit_mb = 0)."""
    return DiskQuota(Path(workdir), config.disk_limit_mb * 2**20) if config.disk_limit_mb else None
