"""Gradescope: the autograder zip's layout, and run_autograder in a directory laid out like /autograder.

setup.sh is only syntax-checked (it would apt-get); run_autograder runs for real,
from the unpacked zip, with this venv's interpreter (AUTOGRADER_PYTHON). Where the
container refuses bubblewrap (a stand-in ``bwrap`` that exits 1, first on PATH) the
grader runs as root here, as on Gradescope, so ``auto`` must grade under the uid level.
"""
import contextlib
import io
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assignment import EXERCISE_POINTS  # noqa: E402
from grader.gradescope import autograder as gradescope  # noqa: E402
from grader.kernel import sandbox  # noqa: E402
from grader.reports.results_json import validate_results  # noqa: E402
from grader.reports.text import md_escape  # noqa: E402
from tests.robustness.harness import reference_leaks  # noqa: E402
from tests.robustness.make_corpus import (BROKEN_POINTS, FULL_MARKS, Context, append, broken_base,  # noqa: E402
                                          lingering_writer_cell, notebook_bytes, read_grader_files_cell,
                                          write_outside_cell)
from tests.robustness.test_sandbox import refusing_bwrap_path  # noqa: E402
from tools.gradescope_docker import unpack  # noqa: E402

EXAMPLE = ROOT / "examples" / "example_submission.ipynb"
DATA_FILES = sorted(f"data/{path.name}" for path in (ROOT / "data").glob("*.mat"))


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return gradescope.build_autograder_zip(tmp_path_factory.mktemp("dist") / "autograder.zip")


def autograder_dir(tmp_path, zip_path):
    """tmp_path/autograder with source/ (the zip), submission/, results/, and run_autograder
    copied to the root as Gradescope does."""
    root = tmp_path / "autograder"
    unpack(zip_path, root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    return root


def script_env(root, **extra):
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", sandbox.LEVEL_ENV)}
    env.update({"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **extra})
    return env


def run_script(root, timeout=900, **extra):
    return subprocess.run([str(root / "run_autograder")], cwd=root, env=script_env(root, **extra),
                          capture_output=True, text=True, timeout=timeout)


def read_results(root):
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the zip

def test_zip_holds_the_executable_scripts_and_every_grader_file_nothing_else(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = set(infos)
        for script in gradescope.SCRIPTS:
            assert script in names, f"{script} must be at the zip's root"
            mode = (infos[script].external_attr >> 16)
            assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, f"{script} is not executable: {oct(mode)}"
            text = archive.read(script).decode("utf-8")
            assert text.startswith("#!/usr/bin/env bash\n") and "\r" not in text
    required = {"project/__init__.py", "grader/__init__.py", "grader/pipeline.py", "grader/gradescope/autograder.py", "grader/cli.py",
                "student_template/week6_selfcheck.py", "student_template/public_fixture.json", "grader/reports/schemas/gradescope_results.schema.json",
                "reference/__init__.py", "reference/network.py", "requirements.lock", "pyproject.toml",
                "tools/find-python", "README.md", *DATA_FILES}
    assert len(DATA_FILES) == 5
    assert required <= names, f"missing from the zip: {sorted(required - names)}"
    for name in names:
        top = name.split("/")[0]
        assert top in {"setup.sh", "run_autograder", "README.md", gradescope.FALLBACK_RESULTS, "project", "grader", "assignment",
                       "reference", "student_template", "data", "tools", "requirements.lock", "pyproject.toml"}, name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
        assert not any(part.startswith(".") for part in name.split("/")), name
    # every reference module and every grader module on disk is in the zip
    for package in ("grader", "reference"):
        for path in (ROOT / package).glob("*.py"):
            assert f"{package}/{path.name}" in names


def test_zip_readme_says_what_students_get_where_no_sandbox_can_be_made():
    readme = gradescope.autograder_readme()
    with contextlib.redirect_stdout(io.StringIO()):
        refusal = gradescope._environment_error(Path("/autograder"), "WHY", time.monotonic(), {})
    quoted = [line[2:] for line in readme.splitlines() if line.startswith(">")]
    # the output is Markdown: the placeholder is escaped in it as any reason would be
    assert quoted and "\n".join(quoted) == refusal["output"].replace("WHY", md_escape("<why each sandbox level failed>"))
    assert all(f'"{test["name"]}"' in readme for test in refusal["tests"])
    assert "auto picks: NOTHING" in readme and "NO Landlock here" in readme        # the build log's lines


def test_zip_is_reproducible(autograder_zip, tmp_path):
    again = gradescope.build_autograder_zip(tmp_path / "again.zip")
    assert again.read_bytes() == Path(autograder_zip).read_bytes()


@pytest.mark.parametrize("script", gradescope.SCRIPTS)
def test_scripts_are_valid_bash(script):
    done = subprocess.run(["bash", "-n", str(gradescope.FILES_DIR / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_setup_script_installs_what_the_grader_needs():
    text = (gradescope.FILES_DIR / "setup.sh").read_text(encoding="utf-8")
    for needed in ('tools/find-python" python3', "python3-venv", "--require-hashes -r",
                   "requirements.lock", "-m venv"):
        assert needed in text
    assert "add-apt-repository" not in text and "deadsnakes" not in text     # the image's own Python, no PPA
    # bubblewrap comes from the pinned wheel in requirements.lock: no apt package for it
    assert not [line for line in text.splitlines() if "apt-get install" in line and "bubblewrap" in line]
    run = (gradescope.FILES_DIR / "run_autograder").read_text(encoding="utf-8")
    assert 'WEEK6_SANDBOX="${WEEK6_SANDBOX:-auto}"' in run
    assert "GRADESCOPE_CONTAINER_IS_SANDBOX" not in run + text     # the unconfined fallback is gone


def test_setup_stops_on_an_image_whose_python_is_unsupported(autograder_zip, tmp_path):
    """Ubuntu 20.04's python3 is 3.8: setup.sh says which base images to choose and makes no venv."""
    from tests.install.fake_python import fake_python, tool_path
    root = autograder_dir(tmp_path, autograder_zip)
    fakes, path = tool_path(tmp_path)
    fake_python(fakes, "python3", "3.8.10")
    apt = fakes / "apt-get"
    apt.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "apt.log"}\n')
    apt.chmod(0o755)
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env={"PATH": path, "AUTOGRADER_ROOT": str(root)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PYTHON=python3 is 3.8.10" in done.stderr
    assert "choose Ubuntu 22.04 (Python 3.10) or Ubuntu 24.04 (Python 3.12)" in done.stderr
    assert not (root / "venv").exists()


# ------------------------------------------------------------------ run_autograder

def test_example_submission_gets_the_full_score(autograder_zip, tmp_path):
    root = autograder_dir(tmp_path, autograder_zip)
    shutil.copy(EXAMPLE, root / "submission" / EXAMPLE.name)
    done = run_script(root)
    assert done.returncode == 0, done.stdout + done.stderr
    results = read_results(root)
    assert validate_results(results) == []
    assert results["extra_data"]["status"] == "graded", results["output"]
    assert results["score"] == pytest.approx(FULL_MARKS)
    assert all(test["status"] == "passed" for test in results["tests"])
    assert results["extra_data"]["sandbox"] == "bwrap"          # auto, where bubblewrap works
    assert results["extra_data"]["gradescope"]["notebook"] == EXAMPLE.name
    # graded by the unpacked source, not this repository
    assert (root / gradescope.OUTPUT_DIR_NAME / EXAMPLE.stem / "results.json").is_file()


def test_no_notebook_scores_zero_with_a_message(autograder_zip, tmp_path):
    root = autograder_dir(tmp_path, autograder_zip)
    (root / "submission" / "week6_backprop.pdf").write_bytes(b"%PDF-1.4")
    (root / "submission" / "week6_backprop.py").write_text("def sigmoid(a): pass\n")
    done = run_script(root, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    results = read_results(root)
    assert validate_results(results) == []
    assert results["score"] == 0
    assert results["extra_data"]["status"] == "no_notebook"
    assert "No Jupyter notebook" in results["output"]
    assert "week6\\_backprop.pdf" in results["output"] and "week6\\_backprop.py" in results["output"]   # Markdown
    assert "week6_backprop.pdf" in results["extra_data"]["message"]


def test_a_missing_interpreter_still_gives_a_results_json(autograder_zip, tmp_path):
    root = autograder_dir(tmp_path, autograder_zip)
    shutil.copy(EXAMPLE, root / "submission" / EXAMPLE.name)
    done = run_script(root, timeout=60, AUTOGRADER_PYTHON=str(tmp_path / "no-such-python"))
    assert done.returncode != 0
    results = read_results(root)
    assert validate_results(results, status="grader_error") == []
    assert results["score"] == 0 and "could not run" in results["output"] and results["output"].startswith("**Not graded.**")
    assert [t["visibility"] for t in results["tests"]] == ["visible", "after_published"]
    assert f"exit status {done.returncode}" in results["output"]
    assert set(results["extra_data"]["exercise_scores"]) == set(EXERCISE_POINTS)     # every exercise, none by hand


def test_a_grader_crash_still_gives_a_results_json(tmp_path, monkeypatch):
    import grader.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(grader.pipeline, "grade_notebook", broken)
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "submission" / "week6_backprop.ipynb")
    assert gradescope.run_autograder(tmp_path, environ={}) == 1
    results = read_results(tmp_path)
    assert validate_results(results) == []
    assert results["score"] == 0 and "boom" in results["output"] and "course staff" in results["output"]
    assert results["output"].startswith("**Not graded.**") and results["tests"][1]["visibility"] == "after_published"


def test_choose_notebook_prefers_the_template_name(tmp_path):
    submission = tmp_path / "submission"
    (submission / ".ipynb_checkpoints").mkdir(parents=True)
    assert gradescope.choose_notebook(gradescope.find_notebooks(submission)) is None
    for name in ("a_scratch.ipynb", "week6_backprop.ipynb", "z.ipynb", ".ipynb_checkpoints/week6_backprop.ipynb"):
        (submission / name).write_text("{}")
    found = gradescope.find_notebooks(submission)
    assert [path.name for path in found] == ["a_scratch.ipynb", "week6_backprop.ipynb", "z.ipynb"]
    assert gradescope.choose_notebook(found).name == "week6_backprop.ipynb"
    (submission / "week6_backprop.ipynb").unlink()
    (submission / "Week6_Backprop (1).ipynb").write_text("{}")
    assert gradescope.choose_notebook(gradescope.find_notebooks(submission)).name == "Week6_Backprop (1).ipynb"
    (submission / "Week6_Backprop (1).ipynb").unlink()
    assert gradescope.choose_notebook(gradescope.find_notebooks(submission)).name == "a_scratch.ipynb"


def test_notebooks_in_a_subfolder_are_found_when_none_is_at_the_top(tmp_path):
    (tmp_path / "lab" / "__MACOSX").mkdir(parents=True)
    (tmp_path / "lab" / "__MACOSX" / "week6_backprop.ipynb").write_text("{}")
    (tmp_path / "lab" / "mine.ipynb").write_text("{}")
    assert [p.name for p in gradescope.find_notebooks(tmp_path)] == ["mine.ipynb"]


# ------------------------------------------------------------------ the sandbox on Gradescope

@pytest.fixture
def open_root():
    """An autograder root readable by every uid, as /autograder is: only the sandbox may keep the
    notebook out of it (pytest's own tmp dirs are closed to other uids, which would prove nothing)."""
    top = Path(tempfile.mkdtemp(prefix="week6-gradescope-"))
    top.chmod(0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


def _environment_error(results):
    """Not graded, said so to the student: a visible notice without points, and the total hidden (a test
    shown only once the grades are published holds the 0 Gradescope's format needs)."""
    assert validate_results(results) == [], results
    assert results["extra_data"]["status"] == "environment_error"
    assert results["output"].startswith("**Not graded.**") and results["output_format"] == "md"
    assert "course staff" in results["output"] and "not with your work" in results["output"]
    notice, withheld = results["tests"]
    assert notice["visibility"] == "visible" and "score" not in notice and notice["name"].startswith("Not graded")
    assert withheld["visibility"] == "after_published" and withheld["score"] == withheld["max_score"] == 0
    assert results["score"] == 0 and not any(t.get("number") for t in results["tests"])


def test_a_level_that_cannot_be_made_is_the_staffs_problem_not_a_grade(autograder_zip, tmp_path):
    root = autograder_dir(tmp_path, autograder_zip)
    shutil.copy(EXAMPLE, root / "submission" / "week6_backprop.ipynb")
    done = run_script(root, timeout=120, PATH=refusing_bwrap_path(tmp_path), WEEK6_SANDBOX="bwrap")
    assert done.returncode == 3, done.stdout + done.stderr
    results = read_results(root)
    _environment_error(results)
    assert "No permissions to create new namespace" in results["output"]
    assert not any((root / gradescope.OUTPUT_DIR_NAME).iterdir())     # nothing of the notebook ran


def test_a_bad_level_setting_is_an_environment_error(tmp_path):
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "submission" / "week6_backprop.ipynb")
    assert gradescope.run_autograder(tmp_path, environ={sandbox.LEVEL_ENV: "nowhere"}) == 3
    results = read_results(tmp_path)
    _environment_error(results)
    assert "nowhere" in results["output"]


def test_only_an_explicit_none_grades_unconfined(tmp_path):
    (tmp_path / "submission").mkdir()
    shutil.copy(ROOT / "student_template" / "week6_backprop.ipynb", tmp_path / "submission")
    (tmp_path / "submission" / "notes.ipynb").write_text("{}")
    assert gradescope.run_autograder(tmp_path, environ={sandbox.LEVEL_ENV: "none"}) == 0
    results = read_results(tmp_path)
    assert validate_results(results) == []
    assert results["extra_data"]["status"] == "graded" and results["score"] == 0
    assert results["extra_data"]["sandbox"] == "none"
    assert results["output"].startswith("Graded: week6\\_backprop.ipynb. Also submitted, not graded: notes.ipynb")


def _graded_under_uid(done, results):
    """bwrap refused, the grader root: auto must have graded under uid (else say what happened)."""
    assert results["extra_data"]["status"] == "graded", (
        f"with bwrap refused, auto did not grade (the uid level should, as the grader runs as root): "
        f"exit {done.returncode}: {results['output'][:1500]}")
    assert results["extra_data"]["sandbox"] == "uid"
    assert validate_results(results) == []


@pytest.mark.uid_level
def test_bwrap_refused_a_correct_submission_scores_105_under_uid(autograder_zip, open_root):
    root = autograder_dir(open_root, autograder_zip)
    shutil.copy(EXAMPLE, root / "submission" / "week6_backprop.ipynb")
    done = run_script(root, PATH=refusing_bwrap_path(open_root))
    results = read_results(root)
    _graded_under_uid(done, results)
    assert done.returncode == 0, done.stdout + done.stderr
    assert results["score"] == pytest.approx(FULL_MARKS)


@pytest.mark.uid_level
def test_bwrap_refused_a_hostile_submission_leaks_nothing_and_forges_nothing(autograder_zip, open_root):
    """The broken base (honest part 87) plus cells that read the grader's files from every path they
    can see and raise them from sigmoid_grad, write forged results.json files wherever they can, and
    leave a daemon that rewrites them once the kernel is gone."""
    root = autograder_dir(open_root, autograder_zip)
    token = f"week6-escape-gradescope-{secrets.token_hex(4)}"
    ctx = Context(token=token, out_dir=str(root / "results"), repo=str(root / "source"))
    nb = append(broken_base(), read_grader_files_cell(ctx), write_outside_cell(ctx), lingering_writer_cell(ctx))
    submitted = notebook_bytes(nb)
    (root / "submission" / "week6_backprop.ipynb").write_bytes(submitted)
    done = run_script(root, PATH=refusing_bwrap_path(open_root))
    graded = read_results(root)
    time.sleep(3)                               # the daemon acts once the kernel is gone
    results = read_results(root)
    _graded_under_uid(done, results)
    assert results == graded, "results.json was rewritten after grading"
    assert results["score"] == pytest.approx(FULL_MARKS - BROKEN_POINTS), results["output"]
    text = (root / "results" / "results.json").read_text(encoding="utf-8")
    assert reference_leaks({"results.json": text}, submitted) == []
    assert str(root / "source") not in text, "results.json names a file of the grader's"
    assert not [path for path in (root / "results").iterdir() if token in path.name]


# ------------------------------------------------------------------ without Landlock: file permissions

def test_close_to_others_makes_every_grader_path_root_only(tmp_path, monkeypatch):
    root, venv, cache = tmp_path / "autograder", tmp_path / "autograder" / "venv", tmp_path / "cache"
    for directory in (root / "source" / "reference", venv / "bin", root / "submission", cache / "sub"):
        directory.mkdir(parents=True)
    files = [root / "source" / "reference" / "network.py", root / "run_autograder",
             root / "submission_metadata.json", cache / "sub" / "outcomes.npz", venv / "bin" / "python",
             root / "submission" / "week6_backprop.ipynb"]
    for path in files:
        path.write_text("x")
        path.chmod(0o755)
    (root / "source" / "link").symlink_to(venv / "bin" / "python")
    monkeypatch.setenv("WEEK6_GRADER_CACHE", str(cache))
    closed = gradescope.close_to_others(root)
    assert set(closed) == {root / "source", root / "run_autograder", root / "results", root / gradescope.OUTPUT_DIR_NAME,
                           root / "submission_metadata.json", cache}
    for top in closed:
        for path in [top, *top.rglob("*")]:
            if not path.is_symlink():
                assert path.stat().st_mode & 0o077 == 0, f"{path} is still open to others: {oct(path.stat().st_mode)}"
    assert (root / "run_autograder").stat().st_mode & 0o700 == 0o700          # still runs
    # what the kernel runs from, and the student's own notebook, stay as they were
    assert (venv / "bin" / "python").stat().st_mode & 0o777 == 0o755
    assert (root / "submission" / "week6_backprop.ipynb").stat().st_mode & 0o777 == 0o755


def test_what_is_made_root_only_is_what_the_uid_check_requires():
    from grader.kernel.sandbox_uid import GRADESCOPE_FILES
    assert {f"{gradescope.DEFAULT_ROOT}/{name}" for name in gradescope.ROOT_ONLY} == set(GRADESCOPE_FILES)


def test_setup_closes_the_grader_files_before_its_sandbox_check():
    lines = (gradescope.FILES_DIR / "setup.sh").read_text(encoding="utf-8").splitlines()
    protect = [i for i, line in enumerate(lines) if "-m grader.gradescope protect" in line and not line.startswith("#")]
    check = [i for i, line in enumerate(lines) if "-m grader.kernel.sandbox" in line and not line.startswith("#")]
    training = [i for i, line in enumerate(lines) if "reference_training" in line]
    assert len(protect) == 1 and check and training and training[-1] < protect[0] < check[0], (protect, check, training)


# A seccomp filter that answers the Landlock calls with ENOSYS, as runc does for calls newer than a profile
# (Docker before 20.10.18), then the command: every process it starts inherits the filter.
WITHOUT_LANDLOCK = """
import errno, os, sys
import pyseccomp
syscalls = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
for call in ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"):
    syscalls.add_rule(pyseccomp.ERRNO(errno.ENOSYS), call)
syscalls.load()
os.execv(sys.argv[1], sys.argv[1:])
"""

# Tries the grader's paths in a Gradescope layout (ROOT), directly and through /proc of the grader.
READ_GRADER_PATHS = r'''
import os
root, grader = {root!r}, os.getppid()
for path in [root + "/source/reference/network.py", root + "/source", root + "/results", root + "/run_autograder",
             root + "/submission_metadata.json", root + "/grader-output", {cache!r},
             "/proc/%d/cwd/reference/network.py" % grader, "/proc/%d/root%s/source/reference" % (grader, root),
             "/proc/%d/environ" % grader]:
    try:
        found = os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(100)
        print("LEAK:", path, repr(found)[:80])
    except OSError as error:
        print("denied:", path, type(error).__name__)
'''


@pytest.mark.uid_level
def test_without_landlock_the_stock_layout_grades_at_uid_and_keeps_the_grader_closed(autograder_zip, open_root):
    """Docker before 20.10.18 refuses the Landlock calls: the uid level falls back on file permissions,
    which run_autograder closes (as setup.sh does), so the example is graded, not refused."""
    if os.geteuid() != 0:
        pytest.skip(f"the uid level needs root: these tests run as uid {os.geteuid()}")
    root = autograder_dir(open_root, autograder_zip)
    (root / "submission_metadata.json").write_text('{"previous_submissions": [{"results": {"score": 105}}]}')
    (root / "submission_metadata.json").chmod(0o644)
    cache = Path(os.environ["WEEK6_GRADER_CACHE"])
    nb = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    attack = READ_GRADER_PATHS.format(root=str(root), cache=str(cache))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "read-grader-paths", "metadata": {},
                        "outputs": [], "source": attack})
    (root / "submission" / "week6_backprop.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", WITHOUT_LANDLOCK, str(root / "run_autograder")], cwd=root,
                          env=script_env(root, PATH=refusing_bwrap_path(open_root)),
                          capture_output=True, text=True, timeout=900)
    results = read_results(root)
    _graded_under_uid(done, results)
    assert results["score"] == pytest.approx(FULL_MARKS), results["output"]
    assert "sandbox: uid without Landlock (a seccomp filter refuses the Landlock calls (ENOSYS)" in done.stdout, done.stdout
    executed = next((root / gradescope.OUTPUT_DIR_NAME / "week6_backprop").glob("*.ipynb"))
    outputs = [json.dumps(cell.get("outputs", [])) for cell in json.loads(executed.read_text())["cells"]
               if cell.get("id") == "read-grader-paths"]
    assert len(outputs) == 1 and outputs[0].count("denied:") == 10 and "LEAK:" not in outputs[0], outputs


def test_the_python_lines_of_setup_sh_run_against_this_tree():
    """setup.sh's inline Python (the import check, the reference's training into the cache) ends in
    ``|| true`` on purpose, so a stale module name there fails silently on Gradescope: run each here."""
    import re
    script = (gradescope.FILES_DIR / "setup.sh").read_text()
    snippets = re.findall(r"-c\s*\\?\s*'([^']+)'", script)
    assert len(snippets) >= 2, snippets
    for snippet in snippets:
        done = subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{snippet}\n{done.stderr[-2000:]}"
