"""Grade one corpus case and judge it: its verdict, what leaked, what escaped.

Used by the tests (tests/robustness/test_robustness_corpus.py) and by the
table of ``make robustness`` (tests/robustness/run_corpus.py).

* problems: how the outcome differs from the case's :class:`Expect`
  (status, message, cell statuses and texts, tests that must pass or fail,
  the score above its honest part, output sizes).
* leaks: what the notebook saw that it must not (lines after ``LEAK:`` in its
  outputs; connections accepted, or datagrams received, by the TCP and Unix
  sockets the harness opens on the host; lines of ``reference/`` in anything the
  grader wrote for it). While a case is graded the grader's environment holds a
  canary variable (:data:`CANARY_VARIABLE`) that no cell may find.
* escapes: what it changed outside its working directory (files named with the
  case's token anywhere it tried to write them, files of the project modified,
  processes, cgroups or directories of its sandbox left behind, System V IPC
  objects under the case's keys, results.json rewritten after grading).
"""
import json
import os
import secrets
import socket
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grader.config import GraderConfig  # noqa: E402
from grader.pipeline import grade_notebook  # noqa: E402
from tests.robustness.make_corpus import LEAK, MARKER, Context  # noqa: E402

# Grading settings for the corpus: short budgets, no figures (the verdicts are what matter here).
CORPUS_CONFIG = {"figures": False, "train_budget": 20.0}
# Project files whose modification times and sizes must not change, and where no file may appear, while a
# hostile notebook runs (byte code excepted: other tests import modules meanwhile).
# The venv is the one running these tests, whichever Python made it (absolute paths: ROOT / them is them).
WATCHED = ["reference", "grader", "tests", "examples", "data", os.path.join(sys.prefix, "pyvenv.cfg"),
           os.path.join(sysconfig.get_paths()["purelib"], "numpy", "__init__.py")]
REFERENCE_LINE_CHARS = 45       # a line of reference/ this long is its own, not a phrase anyone would write
CANARY_VARIABLE = "WEEK6_GRADER_CANARY"     # set in the grader's environment while a case is graded
SYSV_TABLES = Path("/proc/sysvipc")


@dataclass
class CaseResult:
    name: str
    status: str = ""
    score: float = 0.0
    honest: float = 0.0
    seconds: float = 0.0
    problems: list = field(default_factory=list)
    leaks: list = field(default_factory=list)
    escapes: list = field(default_factory=list)
    cells: dict = field(default_factory=dict)       # label -> (status, ename)
    not_tested: list = field(default_factory=list)  # what this machine could not offer the case, and why
    run: object = None

    @property
    def ok(self):
        return not (self.problems or self.leaks or self.escapes)


# --------------------------------------------------------------------------- the machine around the grader

class Listeners:
    """TCP listeners on the host that no sandboxed notebook may reach: one IPv4 (reached at 127.0.0.1
    and the host's outgoing address) and one IPv6 (at ::1) where the host has IPv6; and Unix sockets
    named after ``token``: a stream one and a datagram one in the host's /tmp (world-writable, as a
    careless service's would be) and an abstract one (``unix_targets``). Each target is first
    reached from here, so "no connection" from the notebook means the sandbox refused it.
    ``not_tested``: what this host cannot offer (no IPv6 at all), said, never dropped silently."""

    def __init__(self, token="week6-listeners"):
        self.sockets, self.targets, self.not_tested = [], [], []
        self.unix = [self._unix(socket.SOCK_STREAM, f"/tmp/{token}-host.sock"),
                     self._unix(socket.SOCK_DGRAM, f"/tmp/{token}-host.dgram"),
                     self._unix(socket.SOCK_STREAM, "\0" + token)]
        self.unix_targets = tuple(server.getsockname() for server in self.unix)
        self.sockets.append(self._listen(socket.AF_INET, "0.0.0.0"))
        self.targets += [(address, self.sockets[0].getsockname()[1]) for address in host_addresses()]
        try:
            server = self._listen(socket.AF_INET6, "::")
        except OSError as error:
            if socket.has_ipv6 and _has_ipv6_address():
                raise
            self.not_tested.append(f"IPv6: this host has none ({error})")
        else:
            self.sockets.append(server)
            self.targets.append(("::1", server.getsockname()[1]))
        for target in self.targets:             # the listeners work: reachable from the grader's side
            socket.create_connection(target, timeout=2).close()
        for server in self.unix:
            probe = socket.socket(socket.AF_UNIX, server.type)
            if server.type == socket.SOCK_DGRAM:
                probe.sendto(b"harness", server.getsockname())
            else:
                probe.connect(server.getsockname())
            probe.close()
        time.sleep(0.05)
        if len(self.accepted()) != len(self.targets) + len(self.unix):
            raise RuntimeError(f"the harness's own listeners did not accept its test connections: "
                               f"{self.targets + list(self.unix_targets)}")

    @staticmethod
    def _unix(kind, address):
        server = socket.socket(socket.AF_UNIX, kind)
        server.bind(address)
        if not address.startswith("\0"):
            os.chmod(address, 0o777)            # anyone may connect
        if kind == socket.SOCK_STREAM:
            server.listen(16)
        server.setblocking(False)
        return server

    @staticmethod
    def _listen(family, address):
        server = socket.socket(family, socket.SOCK_STREAM)
        try:
            if family == socket.AF_INET6:
                server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            server.bind((address, 0))
            server.listen(16)
            server.setblocking(False)
        except OSError:
            server.close()
            raise
        return server

    def accepted(self):
        got = []
        for server in self.sockets:
            while True:
                try:
                    connection, peer = server.accept()
                except (BlockingIOError, OSError):
                    break
                got.append(f"a connection from {peer[0]} reached the host's listener on port {server.getsockname()[1]}")
                connection.close()
        for server in self.unix:
            while True:
                try:
                    if server.type == socket.SOCK_DGRAM:
                        server.recv(1024)
                    else:
                        server.accept()[0].close()
                except (BlockingIOError, OSError):
                    break
                got.append(f"the host's Unix socket {server.getsockname()!r} was reached")
        return got

    def close(self):
        for server in self.sockets + self.unix:
            name = server.getsockname()
            server.close()
            if isinstance(name, str) and name.startswith("/"):
                Path(name).unlink(missing_ok=True)


def _has_ipv6_address():
    try:
        return any(line.strip() for line in Path("/proc/net/if_inet6").read_text().splitlines())
    except OSError:
        return False


def host_addresses():
    addresses = ["127.0.0.1"]
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))          # no packet is sent: only picks the outgoing address
        addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return tuple(dict.fromkeys(addresses))


def snapshot(repo=ROOT):
    """Modification times and sizes of the watched project files."""
    state = {}
    for name in WATCHED:
        path = repo / name
        paths = [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts] \
            if path.is_dir() else [path]
        for p in paths:
            try:
                stat = p.stat()
                state[str(p)] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                state[str(p)] = None
    return state


def token_files(token, places):
    """Files or directories whose name contains ``token``, in ``places`` and one level below them."""
    found = []
    for place in places:
        place = Path(place)
        try:
            entries = list(place.iterdir())
        except OSError:
            continue
        for entry in entries:
            if token in entry.name:
                found.append(str(entry))
            elif entry.is_dir() and not entry.is_symlink() and str(entry) not in ("/proc", "/sys", "/dev"):
                try:
                    found += [str(e) for e in entry.iterdir() if token in e.name]
                except OSError:
                    pass
    return found


def sysv_objects(keys):
    """[(kind, key)] of the System V IPC objects of the machine whose key is one of ``keys``."""
    keys, found = set(keys), []
    for kind in ("shm", "sem", "msg"):
        try:
            lines = (SYSV_TABLES / kind).read_text().splitlines()
        except OSError:
            continue
        for line in lines[1:]:
            key = int(line.split()[0])
            if key in keys:
                found.append((kind, key))
    return found


def _process_marks(pid, texts, workdir):
    """Why process ``pid`` belongs to the notebook (its command line names one of ``texts``, or its
    environment or current directory is the notebook's working directory), or None."""
    proc = Path(f"/proc/{pid}")
    try:
        if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None                              # dead, waiting for its parent to reap it
        cmdline = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, IndexError):
        return None
    if any(text in cmdline for text in texts):
        return cmdline[:120]
    if workdir:
        try:
            environ = proc.joinpath("environ").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            return None
        if f"HOME={workdir}".encode() in environ or cwd == workdir or cwd.startswith(workdir + "/") \
                or cwd.startswith(workdir + " (deleted)"):
            return f"{cmdline[:100]} (in the notebook's working directory)"
    return None


def leftover_processes(texts, workdir=None, wait=3.0):
    """Processes the notebook left running (see :func:`_process_marks`), after ``wait`` seconds
    at most for the ones being killed to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != os.getpid():
                why = _process_marks(pid, texts, workdir)
                if why:
                    found.append(f"process {pid} still running: {why}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


# --------------------------------------------------------------------------- one case

def cell_labels(notebook):
    """{label: cell index} of the hostile cells (their first line is MARKER + label)."""
    labels = {}
    for index, cell in enumerate(notebook.cells if notebook is not None else []):
        if cell.cell_type == "code" and cell.source.startswith(MARKER):
            labels[cell.source[len(MARKER):].splitlines()[0].strip()] = index
    return labels


def cell_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        parts.append(str(output.get("text", "")))
        parts.append(str(output.get("ename", "")) + ": " + str(output.get("evalue", "")))
        for value in output.get("data", {}).values():
            parts.append(str(value)[:100_000])
    return "\n".join(parts)


def config_for(case, overrides=None):
    return GraderConfig(**{**CORPUS_CONFIG, **case.config, **(overrides or {})})


def grade_case(case, work_dir, config_overrides=None):
    """Write ``case`` into ``work_dir``, grade it, and judge everything. Returns a :class:`CaseResult`."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    out_root = work_dir / "out"
    token = f"week6-escape-{case.name}-{secrets.token_hex(4)}"
    listeners = Listeners(token)
    path = work_dir / f"{case.name}.ipynb"
    ctx = Context(token=token, listen_targets=tuple(listeners.targets), out_dir=str(out_root / case.name),
                  repo=str(ROOT), large_path=str(path), canary=f"{token}-canary",
                  ipc_key=0x5EE60000 + int(token[-8:], 16) % 2**24 * 4, unix_targets=listeners.unix_targets)
    content = case.build(ctx)
    if content is not None:
        path.write_bytes(content)
    result = CaseResult(case.name, honest=case.honest_part(), not_tested=list(listeners.not_tested))
    before = snapshot()
    started = time.monotonic()
    os.environ[CANARY_VARIABLE] = ctx.canary
    try:
        run = grade_notebook(path, out_root, config_for(case, config_overrides))
    finally:
        result.seconds = time.monotonic() - started
        del os.environ[CANARY_VARIABLE]
        time.sleep(case.expect.settle)          # what outlived the kernel would act now
        result.leaks += listeners.accepted()
        listeners.close()
        if case.large:
            path.unlink(missing_ok=True)
    result.run, result.status, result.score = run, run.status, run.score
    _judge(case, run, result)
    _look_for_leaks(run, result, content)
    _look_for_escapes(run, result, before, token, ctx)
    return result


def _judge(case, run, result):
    expect, problems = case.expect, result.problems
    if run.status != expect.status:
        problems.append(f"status {run.status!r} ({run.message[:300]}), expected {expect.status!r}")
    if expect.message and expect.message.lower() not in run.message.lower():
        problems.append(f"message {run.message[:300]!r} does not mention {expect.message!r}")
    if run.score > result.honest + 1e-9:
        problems.append(f"score {run.score:g} is above the honest part {result.honest:g}")
    if expect.min_score is not None and run.score < expect.min_score - 1e-9:
        problems.append(f"score {run.score:g} is below {expect.min_score:g}")
    if expect.max_seconds is not None and result.seconds > expect.max_seconds:
        problems.append(f"the grading took {result.seconds:.0f} s (at most {expect.max_seconds:g})")
    if run.status != "graded":
        if run.score != 0:
            problems.append(f"a run that was not graded scored {run.score:g}")
        return
    notebook = run.executed_notebook or run.notebook
    labels = cell_labels(notebook)
    records = {record.index: record for record in run.cells}
    for label, allowed in expect.cells.items():
        if label not in labels:
            problems.append(f"hostile cell {label!r} not found in the notebook")
            continue
        record = records.get(labels[label])
        status = record.status if record else "missing"
        result.cells[label] = (status, record.ename if record else "")
        if status not in allowed:
            problems.append(f"cell {label!r} ended {status!r} ({record.ename if record else ''}), expected one of {sorted(allowed)}")
    for label, index in labels.items():
        record = records.get(index)
        result.cells.setdefault(label, (record.status if record else "missing", record.ename if record else ""))
    result.cells = {label: result.cells[label] for label in sorted(result.cells, key=lambda l: labels.get(l, 0))}
    for label, text in expect.cell_text.items():
        if label in labels and text.lower() not in cell_text(notebook.cells[labels[label]]).lower():
            problems.append(f"cell {label!r} does not show {text!r}")
    verdicts = {test.id: test for test in run.tests}
    for name in expect.passing:
        if name not in verdicts or not verdicts[name].passed:
            problems.append(f"test {name!r} should pass")
    for test in run.tests:
        if test.number in expect.passing_exercises and not test.passed and test.max_score > 0:
            problems.append(f"test {test.name!r} ({test.number}) should pass: {test.got[:200]}")
    for name in expect.failing:
        if name not in verdicts:
            problems.append(f"test {name!r} is missing")
        elif verdicts[name].passed or verdicts[name].score:
            problems.append(f"test {name!r} should fail (its honest verdict) but passed")
    if expect.failing_tag:
        untagged = [test.id for test in run.tests if not test.passed and not test.id.endswith(".training")
                    and expect.failing_tag not in test.tags]
        if untagged or all(test.passed for test in run.tests):
            problems.append(f"the failed tests {untagged or '(none failed)'} should carry {expect.failing_tag!r}")
    if expect.max_output_bytes is not None:
        size = _executed_size(run)
        if size > expect.max_output_bytes:
            problems.append(f"the executed notebook is {size:,} bytes (at most {expect.max_output_bytes:,})")
    results_json = run.out_dir / "results.json"
    if results_json.is_file():
        if results_json.stat().st_size > 1_000_000:
            problems.append(f"results.json is {results_json.stat().st_size:,} bytes")
        try:
            written = json.loads(results_json.read_text())
            if abs(float(written.get("score", -1)) - run.score) > 1e-6:
                problems.append(f"results.json says {written.get('score')}, the run {run.score:g}")
            level = written.get("extra_data", {}).get("sandbox")
            if run.sandbox_level is not None and level != run.sandbox_level:
                problems.append(f"results.json records the sandbox {level!r}, the run used {run.sandbox_level!r}")
        except (ValueError, TypeError) as error:
            problems.append(f"results.json is not readable: {error}")


def _executed_size(run):
    sizes = [p.stat().st_size for p in run.out_dir.glob("*.ipynb")] if run.out_dir.is_dir() else []
    if sizes:
        return max(sizes)
    import nbformat
    return len(nbformat.writes(run.executed_notebook)) if run.executed_notebook is not None else 0


def _lines(paths):
    return {line.strip() for path in paths for line in path.read_text(encoding="utf-8").splitlines()}


def reference_lines(submitted=b""):
    """The lines of reference/*.py that are the reference's own: long, no import, and in neither the
    grader's source (its messages may say the same), the template, nor ``submitted`` (a correct
    submission may share a line with it)."""
    submitted = submitted.decode("utf-8", "replace") if isinstance(submitted, bytes) else submitted
    shared = _lines(sorted((ROOT / "grader").rglob("*.py")) + sorted((ROOT / "student_template").glob("*.ipynb")))
    return {line for line in _lines(sorted((ROOT / "reference").glob("*.py")))
            if len(line) >= REFERENCE_LINE_CHARS and not line.startswith(("from ", "import "))
            and line not in shared and line not in submitted}


def reference_leaks(texts, submitted=b""):
    """Lines of the reference found in ``texts`` ({name: text}): [(name, line)]."""
    own = reference_lines(submitted)
    return [(name, line) for name, text in texts.items() for line in sorted(own) if line in text]


def _look_for_leaks(run, result, submitted):
    notebook = run.executed_notebook or run.notebook
    for cell in (notebook.cells if notebook is not None else []):
        for line in cell_text(cell).splitlines():
            if line.startswith(LEAK):
                result.leaks.append(line[:300])
    written = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in
               (sorted(run.out_dir.iterdir()) if run.out_dir.is_dir() else []) if path.is_file()}
    result.leaks += [f"{name} holds a line of reference/: {line[:120]!r}"
                     for name, line in reference_leaks(written, submitted or b"")]


def _look_for_escapes(run, result, before, token, ctx):
    after = snapshot()
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            result.escapes.append(f"project file changed: {name}")
    places = ["/tmp", os.path.expanduser("~"), "/", str(ROOT), str(ROOT / "reference"), str(ROOT / "results"),
              str(ROOT / "grader"), str(ROOT / "tests"), str(ROOT / "examples"),
              ctx.out_dir, str(Path(ctx.out_dir).parent), "/etc", "/usr", "/var/tmp", "/dev/shm", "/root"]
    result.escapes += [f"file left outside the sandbox: {p}" for p in token_files(token, places)]
    result.escapes += [f"System V {kind} object left under key {key:#x}"
                       for kind, key in sysv_objects(range(ctx.ipc_key, ctx.ipc_key + 3))]
    session = run.session
    marks = [token] + ([str(session.runtime_dir)] if session is not None else [])
    result.escapes += leftover_processes(marks, os.path.realpath(run.workdir) if run.workdir else None)
    if session is not None:
        if session.runtime_dir.exists():
            result.escapes.append(f"kernel runtime directory left: {session.runtime_dir}")
        cgroup = getattr(session.launch_prefix, "cgroup", None)
        for directory in (cgroup.dirs if cgroup is not None else []):
            if directory.exists():
                result.escapes.append(f"cgroup left: {directory}")
    if run.workdir is not None and Path(run.workdir).exists():
        result.escapes.append(f"working directory left: {run.workdir}")
