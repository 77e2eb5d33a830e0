"""The hostile submission graded in the container: the example's graded cells plus attacks on every
path of the grader in Gradescope's layout.

From the robustness corpus (tests/robustness/make_corpus.py): reading the grader's files from every
path the kernel can see (raised from sigmoid_grad, so anything read would show in the verdict), the
network, writes outside, a setsid daemon that forges results.json once the kernel is gone, and a
3 GB fill of the working directory. Added here, for Gradescope's container: each of the grader's paths
by name and through ``/proc`` of every process not the kernel's (cwd, root, environ, mem, fd, maps),
results.json written, renamed and linked into place, signals and ptrace to the grader and pid 1,
AF_INET/AF_INET6/AF_PACKET sockets, a daemon that re-forks every 2 ms while it forges results.json,
and 3 GB written to /tmp, /var/tmp and /dev/shm (which no disk bound counts where Landlock is missing).

Every attack prints ``refused: ...`` or a line starting with ``LEAK:``; the honest part is 105.
"""
from tests.robustness.make_corpus import (LEAK, Context, append, correct_base, disk_fill_cell, hostile, insert_after,
                                          lingering_writer_cell, network_cell, notebook_bytes,
                                          read_grader_files_cell, write_outside_cell)

ROOT = "/autograder"
# What the kernel must neither read nor change: Gradescope's paths, and the reference cache setup.sh fills.
GRADER_PATHS = [f"{ROOT}/source", f"{ROOT}/source/reference/network.py", f"{ROOT}/source/grader/gradescope",
                f"{ROOT}/reference-cache", f"{ROOT}/results", f"{ROOT}/run_autograder",
                f"{ROOT}/submission_metadata.json", f"{ROOT}/grader-output"]
FILL_BYTES = 3 * 2**30
FILL_FILE_BYTES = 32 * 2**20        # under the per-file cap (RLIMIT_FSIZE 64 MiB): only the total counts
SUMMARY = "attacks refused:"


def grader_attacks_cell():
    # all in one function: its names must not replace the notebook's (the corpus's sigmoid_grad reads a global)
    return hostile("grader-attacks", f"""
        def _grader_attacks():
            import ctypes, os, signal, socket
            LEAK, me, grader = {LEAK!r}, os.getuid(), os.getppid()
            count = {{"tried": 0, "refused": 0}}
            def attempt(what, action):
                count["tried"] += 1
                try:
                    found = action()
                    print(LEAK, what, repr(found)[:120])
                except OSError as error:
                    count["refused"] += 1
                    print("refused:", what, type(error).__name__)
            def peek(path):
                return os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(200)
            others = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if os.stat("/proc/" + pid).st_uid != me:
                        others.append(int(pid))
                except OSError:
                    pass
            paths = list({GRADER_PATHS!r})
            for pid in others:
                paths += [f"/proc/{{pid}}/{{name}}" for name in ("cwd", "environ", "fd", "maps", "mem")]
                paths += [f"/proc/{{pid}}/root{ROOT}/source", f"/proc/{{pid}}/cwd/reference/network.py"]
            for path in paths:
                attempt("read " + path, lambda: peek(path))
            forged = '{{"score": 1000, "tests": []}}'
            def write(path):
                with open(path, "w") as handle:
                    handle.write(forged)
            attempt("write results.json", lambda: write("{ROOT}/results/results.json"))
            write("forged.json")
            attempt("rename into results/", lambda: os.rename("forged.json", "{ROOT}/results/results.json"))
            attempt("link into results/", lambda: os.link("forged.json", "{ROOT}/results/forged.json"))
            attempt("symlink into results/", lambda: os.symlink(os.path.abspath("forged.json"), "{ROOT}/results/forged.json"))
            attempt("write run_autograder", lambda: write("{ROOT}/run_autograder"))
            for pid in sorted(set(others) | {{grader, 1}}):
                for sig in (signal.SIGKILL, signal.SIGSTOP):
                    attempt(f"signal {{sig.name}} to {{pid}}", lambda: os.kill(pid, sig))
            attempt("SIGKILL to the grader's process group", lambda: os.killpg(os.getpgid(grader), signal.SIGKILL))
            libc = ctypes.CDLL(None, use_errno=True)
            def ptrace_attach(pid):
                if libc.ptrace(16, pid, None, None) != 0:           # PTRACE_ATTACH
                    raise OSError(ctypes.get_errno(), "ptrace")
            attempt("ptrace the grader", lambda: ptrace_attach(grader))
            for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM),
                                 (socket.AF_INET6, socket.SOCK_STREAM), (socket.AF_INET6, socket.SOCK_DGRAM),
                                 (socket.AF_PACKET, socket.SOCK_RAW)):
                attempt(f"socket {{family.name}} {{kind.name}}", lambda: socket.socket(family, kind).close())
            print({SUMMARY!r}, count["refused"], "of", count["tried"])
        _grader_attacks()
    """)


def reforking_writer_cell(ctx):
    """A setsid, double-forked daemon whose process re-forks every 2 ms (a new pid each time, the old one
    gone) for 60 s, forging results.json and leaving a file in /tmp at each generation."""
    daemon = f"""
import os, time
deadline = time.time() + 60
while time.time() < deadline:
    for target in ({ROOT + "/results/results.json"!r}, "/tmp/{ctx.token}-refork.txt"):
        try:
            with open(target, "w") as handle:
                handle.write('{{"score": 1000, "tests": []}}')
        except OSError:
            pass
    time.sleep(0.002)
    try:
        if os.fork() != 0:
            os._exit(0)
    except OSError:
        pass
"""
    return hostile("reforking-writer", f"""
        import os, sys
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.execv(sys.executable, [sys.executable, "-c", {daemon!r}, {ctx.token!r}])
            os._exit(0)
        os.wait()
        print("re-forking daemon started")
    """)


def shared_fill_cell():
    return hostile("shared-fill", f"""
        import os
        block, written = b"x" * 2**20, {{}}
        for place in ("/tmp", "/var/tmp", "/dev/shm"):          # a third of it in each
            written[place] = 0
            try:
                for k in range({FILL_BYTES // 3 // FILL_FILE_BYTES}):
                    with open(os.path.join(place, f"fill-{{k:03d}}.bin"), "wb") as handle:
                        for _ in range({FILL_FILE_BYTES // 2**20}):
                            handle.write(block)
                            written[place] += len(block)
            except OSError as error:
                print("refused: fill", place, "after", written[place], "bytes:", type(error).__name__)
        print("shared fill:", written)
    """)


def hostile_notebook(token):
    """(the hostile notebook's bytes, the context its cells were made with)."""
    ctx = Context(token=token, out_dir=f"{ROOT}/results", repo=f"{ROOT}/source")
    nb = correct_base()
    # the fill first: it kills the kernel, and the restart replays the cells before it
    insert_after(nb, "sigmoid_grad", disk_fill_cell(), read_grader_files_cell(ctx))
    append(nb, grader_attacks_cell(), network_cell(ctx), write_outside_cell(ctx), lingering_writer_cell(ctx),
           reforking_writer_cell(ctx), shared_fill_cell())
    return notebook_bytes(nb), ctx
