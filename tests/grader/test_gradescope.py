"""Gradescope: the autograder zip's layout, and run_autograder in a directory laid out like /autograder.

setup.sh is only syntax-checked (it would apt-get); run_autograder runs for real,
from the unpacked zip, with this venv's interpreter (AUTOGRADER_PYTHON).
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grader import gradescope  # noqa: E402
from grader.results_json import validate_results  # noqa: E402

EXAMPLE = ROOT / "examples" / "example_submission.ipynb"
DATA_FILES = sorted(f"data/{path.name}" for path in (ROOT / "data").glob("*.mat"))


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return gradescope.build_autograder_zip(tmp_path_factory.mktemp("dist") / "autograder.zip")


def unpack(zip_path, target):
    """Unzip like `unzip` does: keep the permission bits stored in the archive."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, target))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)


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
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env.update({"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **extra})
    return env


def run_script(root, timeout=900, **extra):
    return subprocess.run([str(root / "run_autograder")], cwd=root, env=script_env(root, **extra),
                          capture_output=True, text=True, timeout=timeout)


def read_results(root):
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the zip

def test_zip_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = set(infos)
        for script in gradescope.SCRIPTS:
            assert script in names, f"{script} must be at the zip's root"
            mode = (infos[script].external_attr >> 16)
            assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, f"{script} is not executable: {oct(mode)}"
            text = archive.read(script).decode("utf-8")
            assert text.startswith("#!/usr/bin/env bash\n") and "\r" not in text
    required = {"grader/__init__.py", "grader/pipeline.py", "grader/gradescope.py", "grader/cli.py",
                "grader/selfcheck.py", "grader/public_fixture.json", "grader/schemas/gradescope_results.schema.json",
                "reference/__init__.py", "reference/network.py", "requirements.lock", "pyproject.toml",
                "tools/find-python", "README.md", *DATA_FILES}
    assert len(DATA_FILES) == 5
    assert required <= names, f"missing from the zip: {sorted(required - names)}"
    for name in names:
        top = name.split("/")[0]
        assert top in {"setup.sh", "run_autograder", "README.md", "grader", "reference", "data", "tools",
                       "requirements.lock", "pyproject.toml"}, name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
        assert not any(part.startswith(".") for part in name.split("/")), name
    # every reference module and every grader module on disk is in the zip
    for package in ("grader", "reference"):
        for path in (ROOT / package).glob("*.py"):
            assert f"{package}/{path.name}" in names


def test_zip_is_reproducible(autograder_zip, tmp_path):
    again = gradescope.build_autograder_zip(tmp_path / "again.zip")
    assert again.read_bytes() == Path(autograder_zip).read_bytes()


@pytest.mark.parametrize("script", gradescope.SCRIPTS)
def test_scripts_are_valid_bash(script):
    done = subprocess.run(["bash", "-n", str(gradescope.FILES_DIR / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_setup_script_installs_what_the_grader_needs():
    text = (gradescope.FILES_DIR / "setup.sh").read_text(encoding="utf-8")
    for needed in ("bubblewrap", 'tools/find-python" python3', "python3-venv", "--require-hashes -r",
                   "requirements.lock", "-m venv"):
        assert needed in text
    assert "add-apt-repository" not in text and "deadsnakes" not in text     # the image's own Python, no PPA
    run = (gradescope.FILES_DIR / "run_autograder").read_text(encoding="utf-8")
    assert 'GRADESCOPE_CONTAINER_IS_SANDBOX="${GRADESCOPE_CONTAINER_IS_SANDBOX:-1}"' in run


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
    assert results["score"] == pytest.approx(105)
    assert all(test["status"] == "passed" for test in results["tests"])
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
    assert "week6_backprop.pdf" in results["output"] and "week6_backprop.py" in results["output"]


def test_a_missing_interpreter_still_gives_a_results_json(autograder_zip, tmp_path):
    root = autograder_dir(tmp_path, autograder_zip)
    shutil.copy(EXAMPLE, root / "submission" / EXAMPLE.name)
    done = run_script(root, timeout=60, AUTOGRADER_PYTHON=str(tmp_path / "no-such-python"))
    assert done.returncode != 0
    results = read_results(root)
    assert validate_results(results, status="grader_error") == []
    assert results["score"] == 0 and "could not run" in results["output"]


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


@pytest.mark.parametrize("works, env, sandbox", [
    (True, {}, True),
    (True, {gradescope.CONTAINER_ENV: "1"}, True),      # bubblewrap whenever it works
    (False, {gradescope.CONTAINER_ENV: "1"}, False),    # the container is the boundary
    (False, {gradescope.CONTAINER_ENV: "0"}, True),     # refuse: grading stops with sandbox_unavailable
    (False, {}, True),
])
def test_choose_sandbox(works, env, sandbox):
    on, note = gradescope.choose_sandbox(env, check=lambda: (works, "" if works else "no user namespaces"))
    assert on is sandbox
    assert note and (works or "no user namespaces" in note)


def test_without_bubblewrap_the_container_is_the_sandbox(tmp_path, monkeypatch):
    """Gradescope's usual case: bwrap refused, GRADESCOPE_CONTAINER_IS_SANDBOX=1 -> graded unsandboxed."""
    monkeypatch.setattr(gradescope, "_check_sandbox", lambda: (False, "no user namespaces"))
    (tmp_path / "submission").mkdir()
    shutil.copy(ROOT / "student_template" / "week6_backprop.ipynb", tmp_path / "submission")
    (tmp_path / "submission" / "notes.ipynb").write_text("{}")
    assert gradescope.run_autograder(tmp_path, environ={gradescope.CONTAINER_ENV: "1"}) == 0
    results = read_results(tmp_path)
    assert validate_results(results) == []
    assert results["extra_data"]["status"] == "graded" and results["score"] == 0
    assert results["extra_data"]["gradescope"]["sandbox"] is False
    assert "no user namespaces" in results["extra_data"]["gradescope"]["sandbox_note"]
    assert results["output"].startswith("Graded: week6_backprop.ipynb. Also submitted, not graded: notes.ipynb")
