"""The system calls a confined kernel may not make, at the bwrap and uid levels alike (a seccomp
filter built with libseccomp through pyseccomp).

Refused, with EPERM unless said otherwise:

* **sockets** but Unix stream ones: ``socket()``/``socketpair()`` of any other family (netlink
  gets EOPNOTSUPP, as where it is not built in: ``getifaddrs()`` then fails the way libzmq
  expects, and its tcp:// binds, e.g. ipykernel's subprocess-output pipe, fail cleanly) or of
  any other Unix type (a datagram socket sends to any path without connecting); and, where
  asked (``refuse_connect``: the uid level on a kernel whose Landlock cannot scope pathname
  Unix sockets, ABI < 9), ``connect()`` altogether, so that no socket of the host (a
  world-writable one in /tmp, an abstract one, another grading's) can be reached: the kernel
  binds its own sockets and never connects (a notebook's own connection to a socket it made,
  as multiprocessing's managers do, is refused too). At the bwrap level the mount and network
  namespaces show the kernel no socket of the host, and a connection inside is allowed.
* **other processes**: ``ptrace``, ``process_vm_readv``/``writev``, ``pidfd_getfd``, ``kcmp`` and
  ``pidfd_open`` (ENOSYS, so that asyncio falls back to waiting on its children in a thread):
  no process can be read, traced or have a descriptor taken, inside the sandbox or out.
* **System V IPC** (shared memory, semaphores, message queues): objects that would outlive the
  kernel and be found by the next grading with the same uid.
* io_uring (it would open sockets past the filter), new namespaces (``unshare``, ``setns``,
  ``clone`` with CLONE_NEWUSER; ``clone3`` gets ENOSYS so that libc falls back to ``clone``),
  ``bpf``, ``perf_event_open``, ``userfaultfd`` and the keyrings.

The uid level loads it itself (:mod:`grader.kernel.uid_exec`, which imports this file by path:
it imports nothing of the project); the bwrap level hands bubblewrap the compiled program
(:func:`program_file`, ``bwrap --seccomp FD``).
"""
import atexit
import errno
import os
import socket
import tempfile

CLONE_NEWUSER = 0x10000000
AF_FAMILIES = 64            # above AF_MAX (46 in Linux 6.x): every family number the filter names one by one
SOCK_TYPE_MASK = 0xF        # socket()'s type argument also carries SOCK_NONBLOCK | SOCK_CLOEXEC
DENIED_CALLS = ["io_uring_setup", "io_uring_enter", "io_uring_register", "unshare", "setns",
                "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
                "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
                "shmget", "shmat", "shmctl", "semget", "semop", "semtimedop", "semctl",
                "msgget", "msgsnd", "msgrcv", "msgctl"]
UNAVAILABLE_CALLS = ["pidfd_open", "clone3"]        # ENOSYS: the callers fall back to an older way


def describe(refuse_connect: bool) -> str:
    """What the filter refuses, in words (make sandbox-check)."""
    sockets = ("Unix stream sockets only and no connect() at all (no socket of the host is reachable, pathname or "
               "abstract)" if refuse_connect else "Unix stream sockets only")
    return (f"{sockets}; no ptrace, process_vm_readv/writev, pidfd_getfd, pidfd_open or kcmp (no other process "
            "can be read, traced or have a descriptor taken); no System V IPC; no io_uring, bpf, perf events, "
            "userfaultfd, keyrings or new namespaces")


def kernel_filter(refuse_connect: bool):
    """The filter (a ``pyseccomp.SyscallFilter``, not loaded): everything allowed but the above."""
    import pyseccomp as seccomp
    eperm, eopnotsupp = seccomp.ERRNO(errno.EPERM), seccomp.ERRNO(errno.EOPNOTSUPP)
    syscalls = seccomp.SyscallFilter(seccomp.ALLOW)
    for call in ("socket", "socketpair"):
        # One rule per family and per Unix type (disjoint tests: no overlap for libseccomp to settle)
        for family in range(AF_FAMILIES):
            if family != socket.AF_UNIX:
                refusal = eopnotsupp if family == socket.AF_NETLINK else eperm
                syscalls.add_rule(refusal, call, seccomp.Arg(0, seccomp.EQ, family))
        syscalls.add_rule(eperm, call, seccomp.Arg(0, seccomp.GE, AF_FAMILIES))
        for kind in range(SOCK_TYPE_MASK + 1):
            if kind != socket.SOCK_STREAM:
                syscalls.add_rule(eperm, call, seccomp.Arg(0, seccomp.EQ, socket.AF_UNIX),
                                  seccomp.Arg(1, seccomp.MASKED_EQ, SOCK_TYPE_MASK, kind))
    for call in DENIED_CALLS + (["connect"] if refuse_connect else []):
        syscalls.add_rule(eperm, call)
    for call in UNAVAILABLE_CALLS:
        syscalls.add_rule(seccomp.ERRNO(errno.ENOSYS), call)
    syscalls.add_rule(eperm, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    return syscalls


_program_path = None


def program_file() -> str:
    """A file holding the compiled filter of the bwrap level (BPF, connections allowed), only the
    grader's to read: what ``bwrap --seccomp`` loads. Written once per grader process (again if
    its temporary directory went), removed when the process ends."""
    global _program_path
    if _program_path is None or not os.path.isfile(_program_path):
        fd, path = tempfile.mkstemp(prefix="week6-seccomp-", suffix=".bpf")
        with os.fdopen(fd, "wb") as handle:
            kernel_filter(refuse_connect=False).export_bpf(handle)
        if _program_path is None:
            atexit.register(lambda: _program_path and os.path.exists(_program_path) and os.unlink(_program_path))
        _program_path = path
    return _program_path
