"""The uid level (grader/kernel/sandbox_uid.py) with real kernels: a correct notebook gets full marks,
a hostile one reads nothing of the grader, opens no IPv4/IPv6 socket and leaves no process.

Needs root (the level exists for graders that run as root in containers): skipped, visibly, without it.
"""
import errno
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.kernel import sandbox_uid
from grader.pipeline import grade_notebook
from project import cache_dir
from grader.kernel.uid_slots import UID_BASE, _lock_dir, claim_uid, processes_of
from tests.robustness.level_fixtures import (ROOT, EXAMPLE, cell_text, config_for, notebook_with,
                                             require_level, source_cell, work_root)
from tests.answered import FULL_MARKS

pytestmark = pytest.mark.usefixtures("uid_level")


@pytest.fixture
def uid_level():
    require_level("uid")


def test_a_correct_notebook_gets_full_marks(tmp_path):
    run = grade_notebook(EXAMPLE, tmp_path, config_for("uid"))
    assert run.status == "graded", run.message
    assert run.score == FULL_MARKS, [(t.id, t.score, t.max_score, t.message) for t in run.tests if t.score < t.max_score]


def _grader_files():
    """Files a notebook must not read: the whole source tree's (reference/ first), the reference
    cache's, and a results directory's."""
    files = sorted(p for p in (ROOT / "reference").rglob("*") if p.is_file())
    for top in ("grader", "tests", "examples", "data"):
        files += sorted(p for p in (ROOT / top).glob("*") if p.is_file())[:5]
    files += [ROOT / "Makefile", ROOT / "pyproject.toml"]
    cache = cache_dir()
    if cache is not None and cache.is_dir():
        files += sorted(p for p in cache.iterdir() if p.is_file())[:3]
    return files


READ_EVERYTHING = r'''
import os, glob
targets, grader_cwd, root = {targets!r}, {grader_cwd!r}, {root!r}
grader = os.getppid()
up = "../" * os.getcwd().count("/")
tried = denied = 0
def attempt(path, how="read"):
    global tried, denied
    tried += 1
    try:
        if how == "list":
            found = os.listdir(path)
        else:
            with open(path, "rb") as handle:
                found = handle.read(200)
        print("LEAK:", path, repr(found)[:80])
    except OSError:
        denied += 1
for target in targets:
    rel = os.path.relpath(target, grader_cwd)
    for path in (target, target.replace(root, root + "/./"), target.replace(root, root + "/reference/.."),
                 "/proc/self/cwd/" + up + target[1:], "/proc/self/root" + target, "/proc/1/root" + target,
                 "/proc/%d/root%s" % (grader, target), "/proc/%d/cwd/%s" % (grader, rel)):
        attempt(path)
    try:
        os.symlink(target, "link")
        attempt("link")
    finally:
        if os.path.lexists("link"):
            os.unlink("link")
    try:
        os.link(target, "hard")
        attempt("hard")
    except OSError:
        tried += 1; denied += 1
    try:
        fd = os.open(target, os.O_PATH)
        attempt("/proc/self/fd/%d" % fd)
        os.close(fd)
    except OSError:
        tried += 1; denied += 1
for directory in (root, root + "/reference", "/proc/%d/cwd" % grader, "/proc/1/root" + root, "/proc/%d/fd" % grader):
    attempt(directory, "list")
for path in ["/proc/%d/environ" % grader, "/proc/%d/mem" % grader, "/proc/1/environ"] + ["/proc/%d/fd/%d" % (grader, n) for n in range(64)]:
    attempt(path)
for name in os.listdir("/proc/self/fd"):            # what the kernel inherited
    try:
        where = os.readlink("/proc/self/fd/" + name)
    except OSError:
        continue
    if where.startswith(root) or where.startswith(grader_cwd):
        attempt("/proc/self/fd/" + name)
print("TRIED:%d DENIED:%d" % (tried, denied))
'''


def test_a_notebook_reads_nothing_of_the_grader_by_any_path(tmp_path):
    secret = tmp_path / "out" / "earlier-student" / "results.json"
    secret.parent.mkdir(parents=True)
    secret.write_text('{"score": 42}')
    targets = [str(p) for p in _grader_files()] + [str(secret)]
    source = READ_EVERYTHING.format(targets=targets, grader_cwd=os.getcwd(), root=str(ROOT))
    run = grade_notebook(notebook_with(tmp_path / "reader.ipynb", [source], after=-1), tmp_path / "out",
                         config_for("uid"))
    text = cell_text(source_cell(run, "tried = denied = 0"))
    counts = re.search(r"TRIED:(\d+) DENIED:(\d+)", text)
    assert counts, f"the reading cell did not finish: {text[-2000:]}"
    tried, denied = map(int, counts.groups())
    assert tried >= 11 * len(targets), text[-2000:]
    assert "LEAK:" not in text and tried == denied, text[-3000:]
    results = (tmp_path / "out" / "reader" / "results.json").read_text()
    for path in (ROOT / "reference").rglob("*.py"):
        for line in path.read_text().splitlines():
            if len(line.strip()) > 40:
                assert line.strip() not in results, f"a line of {path.name} reached results.json"


SOCKETS = r'''
import json, socket, subprocess, sys
found = {}
for name, family in (("inet", socket.AF_INET), ("inet6", socket.AF_INET6)):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        try:
            socket.socket(family, kind).close()
            found["%s-%d" % (name, kind)] = "opened"
        except OSError as error:
            found["%s-%d" % (name, kind)] = error.errno
try:
    socket.socketpair(socket.AF_INET)
    found["pair-inet"] = "opened"
except OSError as error:
    found["pair-inet"] = error.errno
a, b = socket.socketpair(socket.AF_UNIX)
a.sendall(b"ping")
found["unix-pair"] = b.recv(4).decode()
server = socket.socket(socket.AF_UNIX)
server.bind("unix.sock")
server.listen(1)
client = socket.socket(socket.AF_UNIX)
try:
    client.connect("unix.sock")
    found["unix-path"] = "connected"
except OSError as error:
    found["unix-path"] = error.errno
child = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
                       capture_output=True, text=True)
found["child"] = child.stderr.strip().splitlines()[-1] if child.stderr.strip() else "no error"
print("RESULT:" + json.dumps(found))
'''


def test_no_ipv4_or_ipv6_socket_but_unix_sockets_work(tmp_path):
    run = grade_notebook(notebook_with(tmp_path / "net.ipynb", [SOCKETS], after=-1), tmp_path, config_for("uid"))
    text = cell_text(source_cell(run, "found = {}"))
    assert "RESULT:" in text, text[-2000:]
    found = json.loads(text.split("RESULT:", 1)[1].splitlines()[0])
    for key in ("inet-1", "inet-2", "inet6-1", "inet6-2", "pair-inet"):
        assert found[key] == errno.EPERM, found
    assert found["unix-pair"] == "ping", found
    # connect() goes only where Landlock can keep it to the kernel's own sockets; elsewhere not at all
    assert found["unix-path"] == ("connected" if sandbox_uid.landlock_abi() >= sandbox_uid.LANDLOCK_UNIX_PATHS
                                  else errno.EPERM), found
    assert found["child"].startswith("PermissionError"), found      # the filter binds the kernel's children too


IDENTITY = r'''
import json, os
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
print("IDENTITY:" + json.dumps({"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(),
      "groups": os.getgroups(), "sid_is_own": os.getsid(0) != os.getsid(os.getppid()),
      "status": {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapAmb", "NoNewPrivs", "Seccomp")},
      "env": dict(os.environ)}))
'''
ORPHAN = r'''
import os, time
r, w = os.pipe()
first = os.fork()
if first == 0:
    os.setsid()                              # a session of its own: no process group reaches it
    if os.fork() == 0:
        os.close(r)
        os.write(w, str(os.getpid()).encode())
        os.close(w)
        while True:
            time.sleep(0.5)
    os._exit(0)
os.close(w)
os.waitpid(first, 0)
orphan = int(os.read(r, 32))
print("ORPHAN:%d" % orphan)
'''
ALIVE = 'os.kill(orphan, 0); print("ALIVE:%d" % orphan)'


def test_the_kernel_has_its_own_uid_no_privileges_and_leaves_no_process(tmp_path):
    run = grade_notebook(notebook_with(tmp_path / "orphan.ipynb", [IDENTITY, ORPHAN, ALIVE], after=-1), tmp_path,
                         config_for("uid"))
    identity = json.loads(cell_text(source_cell(run, "IDENTITY")).split("IDENTITY:", 1)[1].splitlines()[0])
    uid = identity["uid"]
    assert UID_BASE <= uid and identity["euid"] == uid and identity["gid"] == uid and identity["groups"] == []
    assert identity["status"] == {"CapInh": "0000000000000000", "CapPrm": "0000000000000000",
                                  "CapEff": "0000000000000000", "CapAmb": "0000000000000000",
                                  "NoNewPrivs": "1", "Seccomp": "2"}, identity["status"]
    assert identity["sid_is_own"]
    assert not [value for value in identity["env"].values() if str(ROOT) in value], identity["env"]
    alive = cell_text(source_cell(run, "ALIVE"))
    orphan = int(re.search(r"ALIVE:(\d+)", alive).group(1))      # it outlived its parent and ran on
    assert processes_of(uid) == []
    try:
        state = Path(f"/proc/{orphan}/status").read_text().split("State:", 1)[1].split()[0]
    except (OSError, IndexError):
        state = "gone"
    assert state in ("gone", "Z", "X"), f"the orphan {orphan} still runs (state {state})"   # Z: dead, not yet reaped


def test_concurrent_gradings_get_different_uids():
    first, first_lock = claim_uid()
    try:
        second, second_lock = claim_uid()
        os.close(second_lock)
    finally:
        os.close(first_lock)
    assert first != second and min(first, second) >= UID_BASE
    lock = os.open(_lock_dir() / f"{first}.lock", os.O_RDWR)
    try:                                    # a released uid is free again
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(lock)


def test_a_grader_that_is_not_root_is_told_the_uid_level_needs_root():
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                           "from grader.kernel.sandbox_uid import check_uid; print(check_uid())"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "(False, 'the uid level needs the grader to run as root')", done.stderr


@pytest.fixture
def no_landlock(monkeypatch):
    """This kernel as if it had no Landlock (an older one, or a container that refuses its calls):
    the kernel is then started without the ruleset, and check_uid() asked again."""
    monkeypatch.setattr(sandbox_uid, "landlock_abi", lambda: 0)
    sandbox_uid.check_uid.cache_clear()
    yield
    sandbox_uid.check_uid.cache_clear()


def test_without_landlock_the_level_is_refused_while_other_users_can_read_the_grader(no_landlock):
    ok, why = sandbox_uid.check_uid()
    assert not ok
    assert "no Landlock" in why and "other users can read the grader's files" in why, why


LEAVE_TRACES = r'''
import os
print("PUBLIC:", open({public!r}).read())          # no Landlock: what any user may read, it reads
try:
    open({secret!r}).read()
    print("SECRET READ")
except OSError as error:
    print("DENIED:", type(error).__name__)
open("/tmp/{trace}", "w").write("left behind")
print("TRACE:", os.path.exists("/tmp/{trace}"))
'''


def test_without_landlock_root_only_grader_files_stay_closed_and_traces_go(no_landlock, tmp_path, monkeypatch):
    base = work_root()                     # every user may pass through it: only private/'s own mode protects it
    try:
        private = base / "private"
        private.mkdir(mode=0o700)
        (private / "solution.py").write_text("THE SOLUTION")
        (base / "public.txt").write_text("anyone's")
        monkeypatch.setattr(sandbox_uid, "grader_paths", lambda: [str(private), str(private / "solution.py")])
        ok, why = sandbox_uid.check_uid()
        assert ok, why
        assert "NO Landlock" in sandbox_uid.uid_enforcement(config_for("uid"))["isolation"]
        trace = f"week6-test-trace-{os.getpid()}"
        source = LEAVE_TRACES.format(public=str(base / "public.txt"), secret=str(private / "solution.py"), trace=trace)
        run = grade_notebook(notebook_with(tmp_path / "traces.ipynb", [source]), tmp_path / "out", config_for("uid"))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    text = cell_text(source_cell(run, "left behind"))
    assert "PUBLIC: anyone's" in text and "DENIED: PermissionError" in text and "TRACE: True" in text, text
    assert not Path("/tmp", trace).exists(), "a file the kernel wrote in /tmp outlived the grading"
    assert run.score == FULL_MARKS, [(t.id, t.message) for t in run.tests if t.score < t.max_score]


FORK_MANY = r'''
import os, time
children, refusal = [], None
for _ in range(200):
    try:
        pid = os.fork()
    except OSError as error:
        refusal = type(error).__name__
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children.append(pid)
print("FORKED:%d REFUSED:%s UID:%d" % (len(children), refusal, os.getuid()))
'''


def test_the_process_cap_holds_and_every_child_goes(tmp_path):
    config = config_for("uid", max_processes=64)
    run = grade_notebook(notebook_with(tmp_path / "forks.ipynb", [FORK_MANY], after=-1), tmp_path, config)
    text = cell_text(source_cell(run, "FORKED"))
    found = re.search(r"FORKED:(\d+) REFUSED:(\w+) UID:(\d+)", text)
    assert found, text
    forked, refusal, uid = int(found.group(1)), found.group(2), int(found.group(3))
    assert forked < config.max_processes and refusal == "BlockingIOError", text
    assert processes_of(uid) == []


MAKE_IPC = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
ids = [libc.shmget(0, 2**20, IPC_CREAT | 0o600), libc.semget(0, 2, IPC_CREAT | 0o600), libc.msgget(0, IPC_CREAT | 0o600)]
assert min(ids) >= 0, ids
"""


def test_system_v_objects_of_a_kernel_uid_are_removed():
    """What a process of a kernel uid made outside the grader's filter (an older grader's kernel, say)
    goes before the uid is handed out again and after each grading (grader/kernel/sysv_ipc.py)."""
    from grader.kernel.sysv_ipc import ipc_objects_of, remove_ipc_of
    uid, lock = claim_uid()
    try:
        subprocess.run([sys.executable, "-I", "-S", "-c", MAKE_IPC], user=uid, group=uid, check=True,
                       capture_output=True, timeout=30)
        assert sorted(kind for kind, _ in ipc_objects_of(uid)) == ["msg", "sem", "shm"]
        assert remove_ipc_of(uid) == []
        assert ipc_objects_of(uid) == []
    finally:
        os.close(lock)
