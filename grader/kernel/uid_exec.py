"""The uid level's pre-exec step: run as root in the kernel's own process, confine it, exec the kernel.

Started by the kernel manager as ``python -I uid_exec.py POLICY RUNTIME -- COMMAND...``
(see :mod:`grader.kernel.sandbox_uid`; ``-I``: nothing from the environment or the
working directory is imported). POLICY is JSON: ``uid``, ``gid``, ``read``
(paths the kernel may read and run), ``read_only`` (paths it may only read),
``write`` (its working directory), ``devices`` (character devices it may use),
``refuse_connect`` (no connect() at all: Landlock cannot scope pathname Unix
sockets here) and ``env`` (its whole environment). In this order, each step before the one
that would make it impossible:

1. the runtime directory RUNTIME (sockets, connection file) becomes the
   uid's, inside the grader's directory that only lets it pass through;
2. every inherited file descriptor but 0-2 is closed; a new session;
3. a Landlock ruleset is built (paths opened while still root; where
   the policy allows it), then
   groups, gid and uid are dropped for good (real, effective, saved: no
   capability is left), no_new_privs is set, and the ruleset enforced:
   reads only below ``read``/``read_only``, writes only in ``write`` and
   RUNTIME, no TCP, no signals or abstract Unix sockets outside;
4. the seccomp filter of every confined kernel (:mod:`grader.kernel.seccomp_filter`):
   Unix stream sockets only (and no connect() where Landlock cannot scope them
   by path), no access to other processes, no System V IPC, no io_uring, no
   new namespaces;
5. exec COMMAND with the policy's environment. The filter and the ruleset
   bind it and every process it starts.

Any failure exits with status 126 and the reason on stderr, before exec:
never a kernel that is less confined than asked.
"""
import ctypes
import json
import os
import sys

PR_SET_NO_NEW_PRIVS = 38


def _ruleset(policy, runtime):
    """The Landlock ruleset of the kernel (not enforced yet)."""
    from landlockpy import AccessFS, AccessNet, Ruleset, Scope
    read = AccessFS.READ_FILE | AccessFS.READ_DIR
    write = (read | AccessFS.WRITE_FILE | AccessFS.TRUNCATE | AccessFS.REMOVE_DIR | AccessFS.REMOVE_FILE
             | AccessFS.MAKE_DIR | AccessFS.MAKE_REG | AccessFS.MAKE_SYM | AccessFS.MAKE_FIFO
             | AccessFS.MAKE_SOCK | AccessFS.REFER | AccessFS.RESOLVE_UNIX)
    ruleset = Ruleset(handled_net=AccessNet.BIND_TCP | AccessNet.CONNECT_TCP | AccessNet.BIND_UDP
                      | AccessNet.CONNECT_SEND_UDP,
                      scoped=Scope.ABSTRACT_UNIX_SOCKET | Scope.SIGNAL)
    file_rights = AccessFS.EXECUTE | AccessFS.READ_FILE | AccessFS.WRITE_FILE | AccessFS.TRUNCATE | AccessFS.IOCTL_DEV

    def allow(path, access):        # a rule on a file may only carry the rights a file has
        ruleset.allow_path(path, access if os.path.isdir(path) else access & file_rights)

    for path in policy["read"]:
        allow(path, read | AccessFS.EXECUTE)
    for path in policy["read_only"]:
        allow(path, read)
    for path in policy["devices"]:
        allow(path, AccessFS.READ_FILE | AccessFS.WRITE_FILE)
    for path in policy["write"]:
        allow(path, write)
    allow(runtime, read | AccessFS.WRITE_FILE | AccessFS.TRUNCATE | AccessFS.MAKE_REG
                       | AccessFS.MAKE_SOCK | AccessFS.REMOVE_FILE | AccessFS.RESOLVE_UNIX)
    return ruleset


def _seccomp_filter(refuse_connect):
    """The kernel's seccomp filter (grader/kernel/seccomp_filter.py, read by path: nothing of the
    project is importable here)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "week6_seccomp_filter", os.path.join(os.path.dirname(os.path.abspath(__file__)), "seccomp_filter.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.kernel_filter(refuse_connect)


def _take_runtime_dir(runtime, uid, gid):
    os.chmod(os.path.dirname(runtime), 0o711)       # the grader's: the kernel may pass, not look
    os.chown(runtime, uid, gid)
    os.chmod(runtime, 0o700)
    for name in os.listdir(runtime):                # the connection file
        os.chown(os.path.join(runtime, name), uid, gid, follow_symlinks=False)


def _drop_privileges(uid, gid):
    if uid <= 0 or gid <= 0:
        raise RuntimeError(f"refusing to run the kernel as uid {uid} / gid {gid}")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise RuntimeError("the uid, gid or groups did not change")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")


def main(argv):
    split = argv.index("--")
    policy, runtime = json.loads(argv[0]), argv[1]
    command = argv[split + 1:]
    uid, gid = int(policy["uid"]), int(policy["gid"])
    _take_runtime_dir(runtime, uid, gid)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    try:
        os.setsid()
    except OSError:             # already a session leader (the kernel manager made one)
        pass
    ruleset = _ruleset(policy, runtime) if policy["landlock"] else None
    syscalls = _seccomp_filter(bool(policy["refuse_connect"]))
    os.chdir(policy["write"][0])
    _drop_privileges(uid, gid)
    if ruleset is not None:
        ruleset.restrict(no_new_privs=True)
        ruleset.close()
    syscalls.load()
    os.execve(command[0], command, policy["env"])


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as error:     # anything: no kernel at all rather than a less confined one
        print(f"week6 uid sandbox: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(126)
