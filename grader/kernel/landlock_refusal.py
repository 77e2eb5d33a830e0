"""Why Landlock is missing here, in one line: the uid level's fallback says it (the sandbox check, the
Gradescope build log and each grading's output), so that a TA knows whether the kernel, its boot
settings or a container's seccomp profile is the cause.
"""
import ctypes
import errno
import os
from pathlib import Path

# landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI version, or why not. Its number is
# the same on every architecture (it came after the unified syscall table).
LANDLOCK_CREATE_RULESET = 444
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_SINCE = (5, 13)


def landlock_refusal() -> str:
    """Why ``landlock_create_ruleset`` fails in this process (one line), from the call itself."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(ctypes.c_long(LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                       ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    if abi > 0:
        return f"the kernel has Landlock ABI {abi}, but landlockpy could not use it (is it installed?)"
    try:
        status = Path("/proc/self/status").read_text()
        filtered = any(line.split()[1:] == ["2"] for line in status.splitlines() if line.startswith("Seccomp:"))
    except (OSError, IndexError):
        filtered = False
    return explain_landlock_errno(ctypes.get_errno(), os.uname().release, filtered)


def explain_landlock_errno(error: int, release: str, seccomp_filtered: bool) -> str:
    """Why ``landlock_create_ruleset`` failed with ``error`` on Linux ``release`` (a process under a
    seccomp filter when ``seccomp_filtered``): one line."""
    name = errno.errorcode.get(error, str(error))
    try:
        version = tuple(int(part) for part in release.split("-")[0].split(".")[:2])
    except ValueError:
        version = LANDLOCK_SINCE
    if error == errno.EOPNOTSUPP:
        return f"Linux {release} has Landlock but did not enable it at boot (landlock is not in its lsm= list)"
    if version < LANDLOCK_SINCE and error == errno.ENOSYS:
        return f"Linux {release} predates Landlock (5.13)"
    if seccomp_filtered and error in (errno.ENOSYS, errno.EPERM):
        return (f"a seccomp filter refuses the Landlock calls ({name}) although Linux {release} has them: in a "
                "container, its seccomp profile predates them (Docker's default before 20.10.18)")
    if error == errno.ENOSYS:
        return f"Linux {release} was built without Landlock (CONFIG_SECURITY_LANDLOCK)"
    return f"landlock_create_ruleset fails with {name} on Linux {release}"
