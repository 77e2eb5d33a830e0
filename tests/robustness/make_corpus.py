"""The robustness corpus: hostile and broken submissions, generated from the example.

Every case is the bundled example submission (``examples/example_submission.ipynb``)
with one hostile change (a cell added, or a function replaced), or a file that
is not a gradable notebook at all, declared next to its expected outcome:
status, message, how the hostile cells must end, which tests must still pass
or must fail, and the most it may score (its *honest part*).

Two bases keep the expectations exact:

* ``correct``: the example, all functions right. Its honest part is full
  marks (base and bonus), so a hostile cell added to it must leave the score there.
* ``broken``: the example with five functions wrong on purpose (the data
  loaders return zeros, ``init_weights`` returns tens, both predictors return
  zeros). Exactly the :data:`BROKEN_TESTS` fail; its honest part is full
  marks less their points. Tampering cells are added to this one: whatever they do,
  those tests must still fail.

Both drop the example's demo cells that train networks and draw plots
(``role: run`` cells calling ``minimize`` or plotting) and the self-check
cell: they are not graded and cost most of the notebook's run time.

Hostile cells begin with ``# week6-robustness: <label>``; the tests find
their cell by that label. What a cell sees that it must not (a file of the
project, a network connection) it prints after ``LEAK:``, so a leak shows in
the executed notebook.

    python -m tests.robustness.make_corpus OUT_DIR [--with-large]

writes every case (the 200 MB one only with ``--with-large``; the tests make
it at test time in a temporary directory, it is never committed).
"""
import argparse
import copy
import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.notebook_builder import EXAMPLE_PATH, graded_cells, render  # noqa: E402
from grader.kernel.sandbox import MAX_FILE_BYTES  # noqa: E402
from tests.robustness.cell_kit import LEAK, MARKER, hostile  # noqa: E402,F401  (MARKER: the harness's too)
from tests.robustness.machine_cells import (DEEP_LEVELS, SWAP_KINDS, deep_tree_cell, float32_cell,  # noqa: E402
                                            host_sockets_cell, leftovers_cell, proc_snoop_cell, small_files_cell,
                                            swap_cell, wide_tree_cell)

from tests.answered import FULL_MARKS  # noqa: E402  (the base and bonus points of the assignment)

# Tests the broken base fails, whatever else happens (see ``broken_base``). (predict_multiclass returns
# the label 7: all zeros would pass when the grader's random weights give class 0 everywhere.)
BROKEN_TESTS = {
    "1a.shapes",
    "1a.values",
    "1e.init_bounds",
    "1e.init_spread",
    "1e.predict",
    "3.load",
    "3.predict",
}
BROKEN_POINTS = 18.0
EXERCISES_1_TO_2 = ("1a", "1b", "1c", "1d", "1e", "bonus", "2")

BROKEN_SOURCES = {
    "load_data": """
        def load_data(data_dir="."):
            return np.zeros((10, 2)), np.zeros(10, dtype=int)
    """,
    "init_weights": """
        def init_weights(layer_sizes, rng):
            return np.full(sum(n * (m + 1) for m, n in zip(layer_sizes[:-1], layer_sizes[1:])), 10.0)
    """,
    "predict": """
        def predict(W, X, layer_sizes):
            return np.zeros(len(X), dtype=int)
    """,
    "load_data_multiclass": """
        def load_data_multiclass(data_dir="."):
            return np.zeros((10, 2)), np.zeros(10, dtype=int)
    """,
    "predict_multiclass": """
        def predict_multiclass(W, X, layer_sizes):
            return np.full(len(X), 7)
    """,
}


@dataclass
class Context:
    """What a case may need to know of the machine grading it (filled in by the tests)."""
    token: str = "week6-escape-corpus"        # in the name of every file a hostile cell tries to leave behind
    listen_targets: tuple = ()                # (host, port) of TCP listeners on the host a network case tries
    out_dir: str = "/nonexistent-results"     # where the grader writes this case's results
    repo: str = str(ROOT)
    large_path: str = ""                      # where to write the 200 MB file (only for that case)
    canary: str = "week6-canary"              # the value of a variable in the grader's environment
    ipc_key: int = 0x5EE60000                 # System V IPC keys a leftovers case uses (this one, +1, +2)
    unix_targets: tuple = ("/nonexistent-stream.sock", "/nonexistent-dgram.sock", "\0week6-nonexistent")


@dataclass
class Expect:
    """A case's expected outcome. ``max_score`` None: the honest part of the base."""
    status: str = "graded"
    message: str = ""                          # substring of run.message (case-insensitive)
    max_score: float | None = None
    min_score: float | None = None
    cells: dict = field(default_factory=dict)  # label -> allowed cell statuses
    cell_text: dict = field(default_factory=dict)   # label -> substring of that cell's outputs
    passing: set = field(default_factory=set)  # test names that must pass
    passing_exercises: tuple = ()              # exercises whose tests must all pass
    failing: set = field(default_factory=set)  # ids of the tests that must fail
    max_output_bytes: int | None = None        # executed notebook size (the file the report writes, or in memory)
    settle: float = 0.0                        # seconds to wait after grading before judging (late writers)
    failing_tag: str = ""                      # every failed test (training aside) carries it, and one fails
    max_seconds: float | None = None           # the grading ends within this many seconds, whatever happens


@dataclass
class Case:
    name: str
    description: str
    build: object                              # Context -> bytes (the submitted file)
    expect: Expect
    config: dict = field(default_factory=dict) # GraderConfig overrides
    base: str = "correct"                      # correct | broken | none (not a notebook)
    large: bool = False                        # generated at test time only

    def honest_part(self):
        if self.expect.max_score is not None:
            return self.expect.max_score
        return {"correct": FULL_MARKS, "broken": FULL_MARKS - BROKEN_POINTS}.get(self.base, 0.0)


# --------------------------------------------------------------------------- bases

def _light(nb):
    """The example without its demo training/plotting cells and the self-check (not graded, slow)."""
    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        meta = cell.metadata.get("week6", {})
        if cell.cell_type == "code" and meta.get("role") == "selfcheck":
            continue
        if cell.cell_type == "code" and meta.get("role") == "run" and (
                "minimize(" in cell.source or "plot_decision_regions" in cell.source):
            continue
        keep.append(cell)
    nb.cells = keep
    return nb


def example():
    return nbformat.read(str(EXAMPLE_PATH), as_version=4)


def correct_base():
    return _light(example())


def broken_base():
    nb = correct_base()
    for index, name in graded_cells(nb):
        if name in BROKEN_SOURCES:
            nb.cells[index].source = f"# Graded: {name}, wrong on purpose (robustness corpus)\n" + \
                textwrap.dedent(BROKEN_SOURCES[name]).strip("\n")
    return nb


def cell_index(nb, graded_name):
    """Index of the graded cell defining ``graded_name``."""
    return dict((name, index) for index, name in graded_cells(nb))[graded_name]


def insert_after(nb, graded_name, *cells):
    index = cell_index(nb, graded_name) + 1
    nb.cells[index:index] = list(cells)
    return nb


def append(nb, *cells):
    nb.cells.extend(cells)
    return nb


def notebook_bytes(nb):
    nbformat.validate(nb)
    return render(nb).encode("utf-8")


# --------------------------------------------------------------------------- hostile cells

def find_reference_cell(ctx):
    return hostile("find-reference", f"""
        import os, sys, importlib
        LEAK = {LEAK!r}
        found = []
        def report(what):
            found.append(what); print(LEAK, what)
        # the grader's packages
        for module in ("reference", "grader", "tests", "examples"):
            try:
                importlib.import_module(module); report("import " + module)
            except Exception:
                pass
        # walking up from everything that names a place
        starts = [os.getcwd(), sys.executable, os.path.realpath(sys.executable), *sys.path, *os.environ.values(),
                  {ctx.repo!r}, os.path.join(os.getcwd(), "..", "reference")]
        for start in starts:
            path = os.path.abspath(str(start) or ".")
            for _ in range(8):
                for name in ("reference", "grader", "data", "tests", "results", "examples"):
                    candidate = os.path.join(path, name)
                    if candidate.startswith(os.getcwd()):
                        continue
                    try:             # listed, not only there: a level without its own mounts cannot hide a path
                        os.listdir(candidate); report("dir " + candidate)
                    except OSError:
                        pass
                path = os.path.dirname(path)
        # a walk over the whole visible file system (what an attacker would grep), but the OS's own libraries
        here = os.getcwd()
        for top, dirs, files in os.walk("/"):
            if top.startswith(("/proc", "/sys", "/dev", "/usr/lib", "/usr/share", "/usr/include", "/usr/src")):
                dirs[:] = []
                continue
            names = set(files)
            if {{"network.py", "training.py"}} <= names or "probe_driver.py" in names or "make_corpus.py" in names:
                report("project directory " + top)
            if top.startswith(here) or "site-packages" in top:
                continue
            for name in files:
                if name in ("results.json", "gradebook.csv") or name.endswith((".mat", ".ipynb")):
                    report("file " + os.path.join(top, name))
        for path in ("../reference/network.py", "/work/main/reference/network.py", {ctx.repo + "/reference/network.py"!r},
                     {ctx.repo + "/assignment/kit/judges.py"!r}, "/etc/shadow", "/root/.ssh/id_rsa", "/root/.bash_history"):
            try:
                with open(path) as handle:
                    handle.read(200)
                report("read " + path)
            except OSError:
                pass
        print("searched; found", len(found))
    """)


# Files only the grader's side has: these names anywhere, and any .py in a directory named like a
# package of the project (Gradescope's source dir, a checkout, an installed copy).
GRADER_FILE_NAMES = ("run_autograder", "requirements.lock", "results.json", "gradebook.csv", "probe_driver.py",
                     "reference_outcomes.py", "make_corpus.py", "week6_results.schema.json")
GRADER_DIRS = ("reference", "grader")


def read_grader_files_cell(ctx):
    """Reads every file of the grader's it can reach, from every path it can see, and raises their
    text from sigmoid_grad: whatever it read would show in the grader's own verdict."""
    return hostile("read-grader-files", f"""
        import os, sys, time
        LEAK = {LEAK!r}
        NAMES, DIRS = set({GRADER_FILE_NAMES!r}), {GRADER_DIRS!r}
        SKIP = ("/sys", "/dev", "/usr/lib", "/usr/share", "/usr/include", "/usr/src", "/lib", "/bin", "/sbin",
                "/usr/bin", "/usr/sbin", "/snap", "/boot")
        here = os.path.realpath(os.getcwd())
        starts = {{"/", here, "/proc/self/cwd", "/proc/self/root", "/proc/1/cwd", "/proc/1/root",
                   os.path.dirname(os.path.realpath(sys.executable)), {ctx.repo!r}, {ctx.out_dir!r}}}
        for prefix in {{sys.prefix, sys.base_prefix, sys.exec_prefix, here, *sys.path}}:
            path = os.path.abspath(prefix or ".")
            while path != "/":                                  # every parent of each
                starts.add(path); path = os.path.dirname(path)
        for pid in os.listdir("/proc"):                         # every process's root and cwd, the grader's too
            if pid.isdigit():
                starts.update({{f"/proc/{{pid}}/cwd", f"/proc/{{pid}}/root"}})
        try:                                                    # every mount point (bind mounts name their source)
            for line in open("/proc/self/mountinfo"):
                starts.add(line.split()[4])
        except OSError:
            pass
        read, visited, seen, deadline = {{}}, set(), 0, time.monotonic() + 40
        def take(path):
            try:
                with open(path, errors="replace") as handle:
                    read[path] = handle.read(3000)
                print(LEAK, "read", path)
            except OSError:
                pass
        for start in sorted(starts):
            for top, dirs, files in os.walk(start):
                real = os.path.realpath(top)
                # the host's /proc only through the starts above; the OS's own files are no grader's
                if real in visited or real.startswith(SKIP) or real.startswith(here) or \\
                        (real == "/proc" and top == real) or time.monotonic() > deadline:
                    dirs[:] = []
                    continue
                visited.add(real)
                dirs[:] = [d for d in dirs if d not in (".git", "__pycache__")]
                for name in files:
                    seen += 1
                    if name in NAMES or (os.path.basename(real) in DIRS and name.endswith(".py")):
                        take(os.path.join(top, name))
        _honest_sigmoid_grad = sigmoid_grad
        def sigmoid_grad(a):
            if read:        # the reference's code first, from its first function on: the most telling part
                first = sorted(read, key=lambda path: (os.path.basename(os.path.dirname(path)) != "reference", path))
                raise ValueError(" | ".join(read[path][read[path].find("def "):] for path in first)[:50000])
            return _honest_sigmoid_grad(a)
        print("read", len(read), "grader files; walk", "cut at its deadline" if time.monotonic() > deadline
              else "complete", "after", seen, "files")
    """)


def lingering_writer_cell(ctx):
    """A double-forked, setsid daemon (its command line names the token) that waits for the kernel
    to end, then forges results and leaves files for 20 s, wherever it can."""
    token = ctx.token
    daemon = f"""
import json, os, sys, time
kernel = int(sys.argv[1])
while True:
    try:
        os.kill(kernel, 0)
    except OSError:
        break
    time.sleep(0.1)
fake = json.dumps({{"score": 1000, "execution_time": 1, "output": "forged", "tests": []}})
targets = [{ctx.out_dir + "/results.json"!r}, {ctx.out_dir + "/" + token + "-late.txt"!r},
           "/tmp/{token}-late.txt", "/var/tmp/{token}-late.txt", "/dev/shm/{token}-late.txt",
           os.path.join(os.path.expanduser("~"), "{token}-late.txt"), {ctx.repo + "/" + token + "-late.txt"!r}]
deadline = time.time() + 20
while time.time() < deadline:
    for target in targets:
        try:
            with open(target, "w") as handle:
                handle.write(fake)
        except OSError:
            pass
    time.sleep(0.1)
"""
    return hostile("lingering-writer", f"""
        import os, sys
        kernel = os.getpid()
        child = os.fork()
        if child == 0:
            os.setsid()
            if os.fork() == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.execv(sys.executable, [sys.executable, "-c", {daemon!r}, str(kernel), {token!r}])
            os._exit(0)
        os.waitpid(child, 0)
        print("daemon started: it waits for the kernel to end")
    """)


def orphans_cell(ctx):
    """Children in sessions of their own that ignore SIGTERM and SIGHUP, left running at the end."""
    return hostile("orphans", f"""
        import signal, subprocess, sys
        keep = "import signal, time; [signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)]; time.sleep(600)"
        children = [subprocess.Popen([sys.executable, "-c", keep, {ctx.token!r}, str(k)], start_new_session=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for k in range(3)]
        children.append(subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
        print("left", len(children), "children running")
    """)


DISK_FILL_BYTES = 3 * 2**30
DISK_FILE_BYTES = min(100 * 2**20, MAX_FILE_BYTES // 2)     # each file under the per-file cap: only the total counts


def disk_fill_cell():
    """3 GB into the working directory in files of 100 MB (or half the per-file cap, if smaller)."""
    return hostile("disk-fill", f"""
        written, block = 0, b"x" * 2**20
        try:
            for k in range({DISK_FILL_BYTES // DISK_FILE_BYTES}):
                with open(f"fill-{{k:02d}}.bin", "wb") as handle:
                    for _ in range({DISK_FILE_BYTES // 2**20}):
                        handle.write(block)
                        written += len(block)
                print("disk fill: wrote", written, "bytes", flush=True)     # as it goes: the kernel may be killed
        finally:
            print("disk fill: wrote", written, "bytes")
    """)


def network_cell(ctx):
    return hostile("network", f"""
        import socket, urllib.request
        LEAK = {LEAK!r}
        for host, port in {list(ctx.listen_targets)!r}:
            try:
                socket.create_connection((host, port), timeout=2).close()
                print(LEAK, "connected to", host, port)
            except OSError as error:
                print("no connection to", host, port, type(error).__name__)
        for host, port in (("8.8.8.8", 53), ("1.1.1.1", 443), ("::1", 22)):
            try:
                socket.create_connection((host, port), timeout=2).close()
                print(LEAK, "connected to", host, port)
            except OSError as error:
                print("no connection to", host, port, type(error).__name__)
        try:
            print(LEAK, "resolved", socket.gethostbyname("example.com"))
        except OSError as error:
            print("no DNS", type(error).__name__)
        try:
            urllib.request.urlopen("http://example.com", timeout=3)
            print(LEAK, "fetched http://example.com")
        except Exception as error:
            print("no HTTP", type(error).__name__)
        try:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))
            print(LEAK, "sent UDP")
        except OSError as error:
            print("no UDP", type(error).__name__)
    """)


def write_outside_cell(ctx):
    token = ctx.token
    return hostile("write-outside", f"""
        import os, json
        LEAK = {LEAK!r}
        home = os.path.expanduser("~")
        fake = json.dumps({{"score": 1000, "tests": []}})
        targets = ["/tmp/{token}.txt", os.path.join(home, "{token}.txt"), "/{token}.txt",
                   os.path.join(os.getcwd(), "..", "{token}.txt"), os.path.join(os.getcwd(), "..", "..", "{token}.txt"),
                   {ctx.repo + "/" + token + ".txt"!r}, {ctx.repo + "/reference/" + token + ".py"!r},
                   {ctx.repo + "/grader/" + token + ".py"!r}, {ctx.repo + "/tests/" + token + ".py"!r},
                   {ctx.repo + "/examples/" + token + ".ipynb"!r},
                   {ctx.repo + "/results/" + token + "/results.json"!r}, {ctx.out_dir + "/results.json"!r},
                   {ctx.out_dir + "/" + token + ".txt"!r}, "/root/{token}.txt", "/etc/{token}.txt",
                   "/usr/{token}.txt", "/var/tmp/{token}.txt", "/dev/shm/{token}.txt"]
        for target in targets:
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w") as handle:
                    handle.write(fake)
                print("wrote (inside the sandbox)", target)
            except OSError as error:
                print("could not write", target, type(error).__name__)
        # replacing a file of the venv, or a module the grader imports
        import numpy
        try:
            with open(numpy.__file__, "a") as handle:
                handle.write("# {token}")
            print(LEAK, "appended to", numpy.__file__)
        except OSError as error:
            print("numpy is read-only:", type(error).__name__)
    """)


def hang_cells():
    return {
        "busy-loop": hostile("busy-loop", "while True:\n    pass"),
        "sleep": hostile("sleep", "import time\ntime.sleep(1000)"),
        "ignore-interrupt": hostile("ignore-interrupt", """
            import time
            while True:
                try:
                    time.sleep(100)
                except KeyboardInterrupt:
                    print("interrupt ignored")
        """),
    }


def memory_cells():
    return {
        "numpy-10GB": hostile("numpy-10GB", "import numpy as np\nhog = np.ones(10 * 2**30 // 8)\nhog.sum()"),
        "grow-until-refused": hostile("grow-until-refused", """
            def grow():
                chunks = []
                while True:
                    chunks.append(bytearray(64 * 2**20))
                    chunks[-1][::4096] = b"x" * len(range(0, 64 * 2**20, 4096))
            grow()
        """),
        "children-hog": hostile("children-hog", """
            import os, time
            children = []
            for _ in range(6):
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        block = bytearray(450 * 2**20)
                        block[::4096] = b"x" * len(range(0, 450 * 2**20, 4096))
                        time.sleep(3)
                    except MemoryError:
                        code = 1
                    finally:
                        os._exit(code)
                children.append(pid)
            ends = [os.waitpid(pid, 0)[1] for pid in children]
            print("children killed:", sum(os.WIFSIGNALED(e) for e in ends), "of", len(ends),
                  "refused:", sum(os.WIFEXITED(e) and os.WEXITSTATUS(e) == 1 for e in ends))
        """),
    }


def fork_bomb_cell():
    # Bounded on purpose: at most 10,000 children, each exec'ing `sleep` at once (tiny), all killed at the end.
    return hostile("fork-bomb", """
        import os, signal, time
        children, refused = [], None
        for i in range(10_000):
            try:
                pid = os.fork()
            except OSError as error:
                refused = (i, type(error).__name__)
                break
            if pid == 0:
                try:
                    os.execv("/bin/sleep", ["sleep", "60"])
                finally:
                    os._exit(0)
            children.append(pid)
        print("fork refused at", refused[0], refused[1]) if refused else print("forked", len(children), "children")
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        for pid in children:
            os.waitpid(pid, 0)
    """)


def deaths_cells():
    return {
        "os-exit": hostile("os-exit", "import os\nos._exit(1)"),
        "segfault": hostile("segfault", "import ctypes\nctypes.string_at(0)"),
    }


def probe_killer_cell():
    return hostile("probe-killer", """
        import os
        _honest_softmax = softmax
        def softmax(A):
            if getattr(A, "size", 0) > 0 and not globals().get("_in_notebook", True):
                os._exit(3)
            return _honest_softmax(A)
        print(softmax(np.array([[1.0, 2.0]])))
        _in_notebook = False     # from now on (the grader's calls) any call kills the kernel
    """)


def big_output_cell():
    return hostile("big-output", """
        line = "x" * 999
        for _ in range(200_000):      # 200 MB
            print(line)
    """)


def tamper_cells():
    return {
        "monkeypatch": hostile("monkeypatch", """
            import builtins, math
            import numpy as np
            np.allclose = lambda *a, **k: True
            np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
            np.array_equal = lambda *a, **k: True
            np.testing.assert_allclose = lambda *a, **k: None
            np.testing.assert_array_equal = lambda *a, **k: None
            math.isclose = lambda *a, **k: True
            builtins.abs = lambda x: 0 * x
            builtins.all = lambda *a, **k: True
            builtins.any = lambda *a, **k: False
            builtins.round = lambda x, *a: x
            print("patched")
        """),
        "lying-eq": hostile("lying-eq", """
            import numpy as np
            class Liar(np.ndarray):
                def __eq__(self, other): return np.ones(np.shape(other), bool) if np.ndim(other) else True
                __ne__ = lambda self, other: False
                def __array_finalize__(self, obj): pass
                def __float__(self): return 0.0
            class LiarFloat(float):
                def __eq__(self, other): return True
                def __lt__(self, other): return True
                def __le__(self, other): return True
                __hash__ = float.__hash__
            _honest_predict, _honest_pm = predict, predict_multiclass
            def predict(W, X, layer_sizes):
                return np.asarray(_honest_predict(W, X, layer_sizes)).view(Liar)
            def predict_multiclass(W, X, layer_sizes):
                return np.asarray(_honest_pm(W, X, layer_sizes)).view(Liar)
            def init_weights(layer_sizes, rng):
                return np.full(sum(n * (m + 1) for m, n in zip(layer_sizes[:-1], layer_sizes[1:])), 10.0).view(Liar)
            def load_data(data_dir="."):
                return np.zeros((10, 2)).view(Liar), np.zeros(10, dtype=int).view(Liar)
            print(predict(None, np.zeros((3, 2)), None) == [1, 2, 3], LiarFloat(1) == 2)
        """),
        "fake-protocol": hostile("fake-protocol", """
            import json, sys
            fake = {"score": 105, "execution_time": 1, "output": "All tests passed",
                    "tests": [{"name": "load_data returns X (N, 2) and t (N,)", "number": "1a", "score": 2,
                               "max_score": 2, "status": "passed", "output": "Passed."}]}
            print(json.dumps(fake))
            print("PASS 1a 5 / 5 load_data")
            print("SCORE 105")
            print('{"status": "ok", "n_outputs": 1}')
            sys.stderr.write("week6 grader: all tests passed, score 105/105\\n")
            from IPython.display import display, JSON
            display({"application/json": fake}, raw=True)
        """),
    }


def fake_results_cell(ctx):
    return hostile("fake-results", f"""
        import glob, json, os, threading, time
        import numpy as np
        fake = {{"score": 1000, "execution_time": 1, "output": "", "tests": []}}
        for place in [".", "..", "/tmp", os.path.expanduser("~"), {ctx.out_dir!r}, {ctx.repo + "/results"!r},
                      "/work/main/results", "results", "out"]:
            for name in ("results.json", "gradebook.csv"):
                try:
                    os.makedirs(place, exist_ok=True)
                    with open(os.path.join(place, name), "w") as handle:
                        json.dump(fake, handle)
                except OSError:
                    pass
        def forge():
            # while the grader's checks run, overwrite every status and array they write with "ok" and zeros
            while True:
                for status in glob.glob(".grader-*/*/*.json") + glob.glob("/tmp/**/.grader-*/*/*.json", recursive=True):
                    try:
                        with open(status, "w") as handle:
                            json.dump({{"status": "ok", "n_outputs": 1, "warnings": []}}, handle)
                        np.save(status[:-5] + "_0.npy", np.zeros(3), allow_pickle=False)
                    except OSError:
                        pass
                time.sleep(0.01)
        threading.Thread(target=forge, daemon=True).start()
        print("forging")
    """)


# --------------------------------------------------------------------------- files that are not gradable notebooks

def nbformat3_bytes():
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "week6"},
                       "worksheets": [{"cells": [{"cell_type": "code", "input": "print(1)", "language": "python",
                                                  "outputs": []}], "metadata": {}}]}).encode()


def non_utf8_bytes():
    text = render(correct_base())
    return text.encode("utf-8").replace("Week 6".encode(), "Woche 6 f\xfcr".encode("latin-1"), 1)


def write_large(ctx, size=200 * 2**20):
    """A 200 MB file (a notebook-looking JSON prefix padded with spaces), written to ctx.large_path."""
    path = Path(ctx.large_path)
    with open(path, "wb") as handle:
        handle.write(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "pad": "')
        block = b" " * 2**20
        for _ in range(size // len(block)):
            handle.write(block)
        handle.write(b'"}\n')
    return None


# --------------------------------------------------------------------------- the cases

def _correct_with(*cells, after=None):
    def build(ctx):
        nb = correct_base()
        made = [cell(ctx) if callable(cell) else cell for cell in cells]
        return notebook_bytes(insert_after(nb, after, *made) if after else append(nb, *made))
    return build


def _hangs(ctx):
    nb, cells = correct_base(), hang_cells()
    insert_after(nb, "backprop", cells["ignore-interrupt"])
    insert_after(nb, "predict", cells["sleep"])
    insert_after(nb, "sigmoid_grad", cells["busy-loop"])
    return notebook_bytes(nb)


def _memory(ctx):
    nb, cells = correct_base(), memory_cells()
    # (the grown list stays alive in IPython's last traceback: the children come before it)
    insert_after(nb, "ce_backprop", cells["grow-until-refused"])
    insert_after(nb, "backprop", cells["children-hog"])
    insert_after(nb, "sigmoid_grad", cells["numpy-10GB"])
    return notebook_bytes(nb)


def _deaths(ctx):
    nb, cells = correct_base(), deaths_cells()
    insert_after(nb, "softmax", cells["segfault"])
    insert_after(nb, "backprop", cells["os-exit"])          # the middle of the notebook
    return notebook_bytes(nb)


def _budget(ctx):
    nb = correct_base()
    insert_after(nb, "sigmoid_grad", *[hostile(f"slow-{k}", "import time\ntime.sleep(4)") for k in range(1, 6)])
    return notebook_bytes(nb)


def _broken_with(*cells):
    def build(ctx):
        made = []
        for cell in cells:
            made.extend(cell().values() if cell is tamper_cells else [cell(ctx) if callable(cell) else cell])
        return notebook_bytes(append(broken_base(), *made))
    return build


# long enough for the honest first cell (numpy, scipy, matplotlib imports) on a loaded machine
HANG_CONFIG = {"cell_timeout": 10.0}
# the swap cases: a grader that blocked would be stopped by its deadline (grader/budget.py); a short one
SWAP_CONFIG = {"time_budget": 240.0}
SWAP_SECONDS = SWAP_CONFIG["time_budget"] + 60.0
CASES = [
    Case("control", "the example's graded cells, unchanged: the baseline every other case is measured against",
         _correct_with(), Expect(passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("broken-control", "the broken base alone: exactly BROKEN_TESTS fail (its honest part, 87)",
         lambda ctx: notebook_bytes(broken_base()), Expect(failing=BROKEN_TESTS, min_score=FULL_MARKS - BROKEN_POINTS),
         base="broken"),
    Case("find-reference", "looks for the reference solution, the grader and other submissions everywhere it can",
         _correct_with(find_reference_cell), Expect(cells={"find-reference": {"ok"}},
                                                    cell_text={"find-reference": "found 0"},
                                                    passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("read-grader-files", "reads the grader's files from every path it can see (/, /proc/*/root and cwd, the "
                              "interpreter's and sys.path's parents, mount points) and raises their text from "
                              "sigmoid_grad",
         _correct_with(read_grader_files_cell, after="sigmoid_grad"),
         Expect(cells={"read-grader-files": {"ok"}}, cell_text={"read-grader-files": "read 0 grader files; walk complete"},
                passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("lingering-writer", "a double-forked setsid daemon that waits for the kernel to end, then forges "
                             "results.json and leaves files for 20 s",
         _correct_with(lingering_writer_cell), Expect(cells={"lingering-writer": {"ok"}}, settle=3.0,
                                                      passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("orphans", "children in sessions of their own, ignoring SIGTERM and SIGHUP, left running at the end",
         _correct_with(orphans_cell), Expect(cells={"orphans": {"ok"}}, passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("disk-fill", "writes 3 GB into its working directory in 100 MB files: stopped well below 1 GB, the rest "
                      "graded", _correct_with(disk_fill_cell(), after="sigmoid_grad"),
         Expect(cells={"disk-fill": {"error", "died"}}, passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("network", "connects to listeners on the host, public addresses, DNS and HTTP",
         _correct_with(network_cell), Expect(cells={"network": {"ok"}}, cell_text={"network": "no HTTP"},
                                              passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("hangs", "a busy loop, a long sleep and a loop that swallows KeyboardInterrupt, between graded cells",
         _hangs, Expect(cells={"busy-loop": {"timeout"}, "sleep": {"timeout"}, "ignore-interrupt": {"hung"}},
                        passing_exercises=EXERCISES_1_TO_2 + ("3",)), config=HANG_CONFIG),
    Case("memory", "a 10 GB numpy array, a loop growing until refused, and 6 children of 450 MB each",
         _memory, Expect(cells={"numpy-10GB": {"error"}, "grow-until-refused": {"error", "died"},
                                "children-hog": {"ok", "error", "died"}},
                         cell_text={"numpy-10GB": "MemoryError"},
                         passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("fork-bomb", "forks up to 10,000 sleeping children (bounded), then kills them",
         _correct_with(fork_bomb_cell()), Expect(cells={"fork-bomb": {"ok", "error", "died"}},
                                                 passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("notebook-budget", "five 4 s cells with a 12 s budget for the whole notebook: the cells after it do not "
                            "run, the functions defined before it still count",
         _budget, Expect(message="ran longer than", cells={"slow-1": {"ok"}, "slow-5": {"not_run"}},
                         passing_exercises=("1a", "1b")),
         config={"cell_timeout": 10.0, "notebook_timeout": 12.0}),
    Case("kernel-deaths", "os._exit(1) in the middle of the notebook, a segfault (ctypes.string_at(0)) later",
         _deaths, Expect(cells={"os-exit": {"died"}, "segfault": {"died"}},
                         passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("probe-killer", "softmax kills the kernel when the grader calls it: those tests did not run, no credit",
         _correct_with(probe_killer_cell()),
         Expect(max_score=FULL_MARKS - 3, failing={"3.softmax_values", "3.softmax_stable"},
                passing_exercises=EXERCISES_1_TO_2)),
    Case("big-output", "prints 200 MB", _correct_with(big_output_cell()),
         Expect(cells={"big-output": {"ok", "timeout"}}, max_output_bytes=5 * 2**20,
                passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("write-outside", "writes files to /tmp, $HOME, the project, its results, /etc, /usr and the venv",
         _correct_with(write_outside_cell), Expect(cells={"write-outside": {"ok"}},
                                                   passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("tamper", "the broken base plus patched numpy/math/builtins, lying __eq__ objects, and fake grader output",
         _broken_with(tamper_cells), Expect(failing=BROKEN_TESTS), base="broken"),
    Case("fake-results", "the broken base plus fake results.json everywhere and a thread forging the probes' files",
         _broken_with(fake_results_cell), Expect(failing=BROKEN_TESTS), base="broken"),
    *[Case(f"swap-{kind}", f"a thread that plants a {kind} at every name the grader will write in its probes' "
                           f"folder and swaps every probe output for one: graded, within budget + 60 s",
           _correct_with(lambda ctx, kind=kind: swap_cell(kind, ctx), after="load_data"),
           Expect(cells={f"swap-{kind}": {"ok"}}, max_seconds=SWAP_SECONDS), config=SWAP_CONFIG)
      for kind in SWAP_KINDS],
    # 10,000 is the limit itself: at the uid level the kernel's own files in its private /tmp (IPython's) take
    # it past, and the cell is stopped; on a slow disk the cell may run out of time first. The score is the same.
    *[Case(f"deep-tree-{levels}", f"{levels:,} nested empty folders: {levels:,} entries, whatever the depth "
                                  "(up to the limit of 10,000 the notebook may make: the rest is graded)",
           # (the 10,000 at the end: every later cell is followed by a walk of the whole tree, 0.1-0.5 s)
           _correct_with(deep_tree_cell(levels), after="sigmoid_grad" if levels < 10_000 else None),
           Expect(cells={f"deep-tree-{levels}": {"ok"} if levels < 10_000 else {"ok", "died", "timeout"}},
                  passing_exercises=EXERCISES_1_TO_2 + ("3",)))
      for levels in DEEP_LEVELS],
    Case("wide-tree", "100 folders of 90 empty files: 9,100 entries, under the limit", _correct_with(
        wide_tree_cell(), after="sigmoid_grad"), Expect(cells={"wide-tree": {"ok"}},
                                                        passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("small-files", "20,000 files of 512 bytes: over the 10,000 entries a notebook may make, so the cell is "
                        "stopped and left out, the rest graded",
         _correct_with(small_files_cell(), after="sigmoid_grad"),
         Expect(cells={"small-files": {"died"}}, cell_text={"small-files": "limit of 10,000 files"},
                passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("proc-snoop", "reads every visible process's environment (for a variable of the grader's) and memory, "
                       "ptrace-attaches them, takes their descriptors with pidfd_getfd",
         _correct_with(proc_snoop_cell), Expect(cells={"proc-snoop": {"ok"}}, cell_text={"proc-snoop": "looked at"},
                                                passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("ipc-leftovers", "System V shared memory, semaphores and a message queue, and POSIX shared memory, made "
                          "to outlive the kernel",
         _correct_with(leftovers_cell), Expect(cells={"ipc-leftovers": {"ok"}},
                                               passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("host-sockets", "connects to the host's Unix sockets (a world-writable one in /tmp, an abstract one) and "
                         "sends to its datagram socket",
         _correct_with(host_sockets_cell), Expect(cells={"host-sockets": {"ok"}},
                                                  passing_exercises=EXERCISES_1_TO_2 + ("3",))),
    Case("float32", "the network functions rerun in float32: what fails is named 'dtype float32 found'",
         _correct_with(float32_cell()), Expect(cells={"float32": {"ok"}}, failing_tag="mistake:float32")),
    Case("not-json", "a file that is not JSON", lambda ctx: b"this is not a notebook {\n",
         Expect(status="unreadable", message="not valid JSON"), base="none"),
    Case("not-a-notebook", "JSON, but a list", lambda ctx: b'[1, 2, 3]\n',
         Expect(status="unreadable", message="not a Jupyter notebook"), base="none"),
    Case("nbformat-3", "an nbformat 3 notebook (worksheets)", lambda ctx: nbformat3_bytes(),
         Expect(status="unreadable", message="format 3"), base="none"),
    Case("not-utf8", "the example with a Latin-1 byte in it", lambda ctx: non_utf8_bytes(),
         Expect(status="unreadable", message="UTF-8"), base="none"),
    Case("huge-file", "a 200 MB file (made at test time, never committed)", write_large,
         Expect(status="unreadable", message="MB"), base="none", large=True),
]
CASES_BY_NAME = {case.name: case for case in CASES}


def write_corpus(out_dir, ctx=None, with_large=False):
    """Write every case's file into ``out_dir``; returns {name: path}."""
    ctx = ctx or Context()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in CASES:
        path = out_dir / f"{case.name}.ipynb"
        if case.large:
            if not with_large:
                continue
            write_large(Context(**{**ctx.__dict__, "large_path": str(path)}))
        else:
            path.write_bytes(case.build(ctx))
        paths[case.name] = path
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--with-large", action="store_true", help="also write the 200 MB file")
    args = parser.parse_args(argv)
    for name, path in write_corpus(args.out_dir, with_large=args.with_large).items():
        print(f"{name:16s} {path}")


if __name__ == "__main__":
    main()
