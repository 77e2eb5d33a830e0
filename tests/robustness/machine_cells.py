"""Hostile cells aimed at the grading machine rather than at the verdicts: the grader's own files in
the notebook's folders, the disk watchdog, the processes and environment it can see, what may
outlive it, the host's sockets, and a float32 network. Each takes the corpus's Context (where
the harness says what to look for: its token, the grader's canary variable, the host's sockets).
"""
from tests.robustness.cell_kit import LEAK, hostile

SWAP_KINDS = ("fifo", "socket", "symlink")
# the probe groups the grader runs (assignment.build_plan(...).groups()): the folder and plan names it will
# write in its exchange are "<group>-<n>" and "<group>-<n>.json", n counting the group's kernel deaths
PROBE_GROUPS = ("1a", "1b", "1c", "1d", "1e", "bonus", "2", "3", "train-1e", "train-2", "train-3")
DEEP_LEVELS = (120, 10_000)
WIDE_FOLDERS, WIDE_FILES = 100, 90           # 9,100 entries: under the 10,000 the notebook may make
SMALL_FILES = 20_000                         # over it: the cell is stopped, the rest graded
SHM_BYTES = 128 * 2**20
PTRACE_SEIZE, PTRACE_DETACH = 0x4206, 17
SYS_PIDFD_GETFD = 438                        # the same number on every architecture (Linux 5.6+)


def swap_cell(kind, ctx):
    """A thread that, from the first cell on, plants a ``kind`` (FIFO, socket, or a link to a file
    named after the token in the host's /tmp) at every name the grader will write in its probes'
    folder (plans, inputs, output folders), and swaps for one every output a probe finished
    writing: a grader that opened one would block, follow the link (writing the token's file on
    the host), or read what is not a plain file."""
    return hostile(f"swap-{kind}", f"""
        import glob, os, socket, threading, time
        KIND, TARGET, GROUPS = {kind!r}, "/tmp/{ctx.token}-victim", {PROBE_GROUPS!r}
        kept = []

        def plant(path):
            if os.path.lexists(path):
                return
            try:
                if KIND == "fifo":
                    os.mkfifo(path)
                elif KIND == "socket":
                    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    server.bind(path)
                    kept.append(server)
                else:
                    os.symlink(TARGET, path)
            except OSError:
                pass

        def swap(path):
            try:
                os.unlink(path)
            except OSError:
                return
            plant(path)

        def run():
            while True:
                for exchange in glob.glob(".grader-*"):
                    for name in ["inputs.npz"] + [f"{{g}}-{{n}}{{x}}" for g in GROUPS for n in range(7) for x in ("", ".json")]:
                        plant(os.path.join(exchange, name))
                    for status in glob.glob(os.path.join(exchange, "*", "*.json")):
                        if os.path.isfile(status) and not os.path.islink(status):
                            for output in glob.glob(status[:-5] + "_*.npy"):
                                swap(output)
                            swap(status)
                time.sleep(0.002)

        threading.Thread(target=run, daemon=True).start()
        print("swapping the grader's files for a", KIND)
    """)


def deep_tree_cell(levels):
    """``levels`` folders nested in one another, empty: made by descriptors (a path that deep
    passes PATH_MAX long before 10,000)."""
    return hostile(f"deep-tree-{levels}", f"""
        import os
        fd = os.open(".", os.O_RDONLY)
        for _ in range({levels}):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(fd)
        print("made {levels} nested folders")
    """)


def wide_tree_cell():
    return hostile("wide-tree", f"""
        import os
        for k in range({WIDE_FOLDERS}):
            os.makedirs(f"wide/{{k:03d}}", exist_ok=True)
            for n in range({WIDE_FILES}):
                open(f"wide/{{k:03d}}/{{n:02d}}", "w").close()
        print("made {WIDE_FOLDERS} folders of {WIDE_FILES} empty files")
    """)


def small_files_cell():
    return hostile("small-files", f"""
        import os
        os.makedirs("small", exist_ok=True)
        for n in range({SMALL_FILES}):
            with open(f"small/{{n:05d}}", "wb") as handle:
                handle.write(b"s" * 512)
        print("made {SMALL_FILES} small files")
    """)


def proc_snoop_cell(ctx):
    """Reads the environment and command line of every process it can see (for the canary the
    harness puts in the grader's environment), opens their memory, ptrace-attaches them and takes
    their descriptors with pidfd_getfd: any of it working on a process not its own is a LEAK."""
    return hostile("proc-snoop", f"""
        import ctypes, os
        LEAK, CANARY = {LEAK!r}, {ctx.canary!r}
        libc = ctypes.CDLL(None, use_errno=True)
        me = os.getpid()
        if any(CANARY in value for value in os.environ.values()):
            print(LEAK, "the grader's variable is in the kernel's own environment")
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        for pid in pids:
            for name in ("environ", "cmdline"):
                try:
                    with open(f"/proc/{{pid}}/{{name}}", "rb") as handle:
                        if CANARY.encode() in handle.read():
                            print(LEAK, f"/proc/{{pid}}/{{name}} holds the grader's variable")
                except OSError:
                    pass
            if pid == me:
                continue
            try:
                with open(f"/proc/{{pid}}/mem", "rb"):
                    print(LEAK, f"/proc/{{pid}}/mem opened")
            except OSError:
                pass
            if libc.ptrace({PTRACE_SEIZE}, pid, 0, 0) == 0:
                print(LEAK, "ptrace attached to", pid)
                libc.ptrace({PTRACE_DETACH}, pid, 0, 0)
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            for fd in range(64):
                taken = libc.syscall({SYS_PIDFD_GETFD}, pidfd, fd, 0)
                if taken >= 0:
                    print(LEAK, f"took descriptor {{fd}} of process {{pid}}")
                    os.close(taken)
            os.close(pidfd)
        print("looked at", len(pids), "processes")
    """)


def leftovers_cell(ctx):
    """System V shared memory (128 MiB), a semaphore set and a message queue under keys of the
    token's, and POSIX shared memory named after it: made, never removed, to outlive the kernel."""
    return hostile("ipc-leftovers", f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        KEY, IPC_CREAT = {ctx.ipc_key}, 0o1000
        print("shmget", libc.shmget(KEY, {SHM_BYTES}, IPC_CREAT | 0o666),
              "semget", libc.semget(KEY + 1, 4, IPC_CREAT | 0o666),
              "msgget", libc.msgget(KEY + 2, IPC_CREAT | 0o666))
        try:
            with open("/dev/shm/{ctx.token}-posix", "wb") as handle:
                handle.write(b"p" * 4096)
            print("wrote /dev/shm/{ctx.token}-posix")
        except OSError as error:
            print("no file in /dev/shm:", type(error).__name__)
        try:
            from multiprocessing import shared_memory
            block = shared_memory.SharedMemory(name="{ctx.token}-mp", create=True, size=2**20)
            print("made POSIX shared memory", block.name)
        except Exception as error:
            print("no POSIX shared memory:", type(error).__name__)
    """)


def host_sockets_cell(ctx):
    """Connects to the host's Unix sockets the harness opened (stream, seqpacket, abstract) and
    sends to its datagram one, from a socket of its own and from a socketpair."""
    stream, dgram, abstract = ctx.unix_targets
    return hostile("host-sockets", f"""
        import socket
        LEAK = {LEAK!r}
        for kind, address in ((socket.SOCK_STREAM, {stream!r}), (socket.SOCK_SEQPACKET, {stream!r}),
                              (socket.SOCK_STREAM, {abstract!r})):
            try:
                client = socket.socket(socket.AF_UNIX, kind)
                client.connect(address)
                client.send(b"hello from the sandbox")
                print(LEAK, "connected to the host's socket", repr(address))
            except OSError as error:
                print("no connection to", repr(address), type(error).__name__)
        for make in (lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM),
                     lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)[0]):
            try:
                make().sendto(b"hello from the sandbox", {dgram!r})
                print(LEAK, "sent to the host's datagram socket")
            except OSError as error:
                print("nothing sent to the host's datagram socket:", type(error).__name__)
    """)


def float32_cell():
    """The network functions written again in float32 (a student's "faster" version): W, X and
    every product and sum in single precision, the results float32 numbers."""
    return hostile("float32", """
        import numpy as np
        F = np.float32

        def _layers(W, sizes):
            W, out, k = np.asarray(W, dtype=F), [], 0
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                out.append((W[k:k + n_in * n_out].reshape(n_out, n_in), W[k + n_in * n_out:k + n_in * n_out + n_out]))
                k += n_in * n_out + n_out
            return out

        def _sigmoid(a):
            e = np.exp(-np.abs(a))
            return np.where(a >= 0, F(1) / (F(1) + e), e / (F(1) + e))

        def _network(W, X, sizes, lam, activation, targets):
            layers = _layers(W, sizes)
            # sigmoid and relu in float32; any other activation is the notebook's own g and g', rounded to float32
            own = {"sigmoid": (_sigmoid, lambda a: _sigmoid(a) * (F(1) - _sigmoid(a))),
                   "relu": (lambda a: np.maximum(a, F(0)), lambda a: (a > 0).astype(F))}
            hidden, slope = own.get(activation) or (lambda a: np.asarray(globals()[activation](a), dtype=F),
                                                    lambda a: np.asarray(globals()[activation + "_grad"](a), dtype=F))
            Z, A = [np.asarray(X, dtype=F)], []
            for l, (w, b) in enumerate(layers):
                A.append(Z[-1] @ w.T + b)
                if l < len(layers) - 1:
                    Z.append(hidden(A[-1]))
            loss, dA = targets(A[-1])
            loss = loss + F(lam) * sum(np.sum(w * w) for w, _ in layers)
            grads = []
            for l in reversed(range(len(layers))):
                w, b = layers[l]
                grads.append(np.concatenate([(dA.T @ Z[l] + F(2 * lam) * w).ravel(), dA.sum(axis=0)]))
                if l:
                    dA = (dA @ w) * slope(A[l - 1])
            return float(loss), np.concatenate(grads[::-1])

        def _binary(t):
            t = np.asarray(t, dtype=F).reshape(-1, 1)
            return lambda a: (np.mean(np.logaddexp(F(0), a) - t * a), (_sigmoid(a) - t) / F(len(t)))

        def _multiclass(t):
            def targets(a):
                T = np.eye(a.shape[1], dtype=F)[np.asarray(t).astype(int)]
                shifted = a - a.max(axis=1, keepdims=True)
                log_Y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                return -np.mean(np.sum(T * log_Y, axis=1)), (np.exp(log_Y) - T) / F(len(T))
            return targets

        def bce_loss(W, X, t, layer_sizes, lam):
            return _network(W, X, layer_sizes, lam, "sigmoid", _binary(t))[0]

        def bce_grad(W, X, t, layer_sizes, lam):
            return _network(W, X, layer_sizes, lam, "sigmoid", _binary(t))[1]

        def backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
            return _network(W, X, layer_sizes, lam, activation, _binary(t))

        def ce_backprop(W, X, t, layer_sizes, lam, activation="sigmoid"):
            return _network(W, X, layer_sizes, lam, activation, _multiclass(t))

        print("the network runs in float32")
    """)
