"""The command line as an instructor uses it: exit status and files, per the contract."""
import json
import subprocess
import sys
from pathlib import Path
from tests.answered import FULL_MARKS

ROOT = Path(__file__).resolve().parents[2]


def grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_missing_file_is_an_error_without_results(tmp_path):
    done = grade(tmp_path / "nobody.ipynb", "--out", tmp_path / "out")
    assert done.returncode != 0
    assert "does not exist" in done.stderr
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_an_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "grade"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0


def test_unreadable_notebook_scores_zero_with_exit_status_0(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ this is not json")
    done = grade(broken, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "broken" / "results.json").read_text())
    assert results["score"] == 0
    assert "not valid JSON" in results["output"]
    assert "unreadable" in done.stdout


def test_example_submission_gets_full_marks_from_the_command_line(tmp_path):
    done = grade(ROOT / "examples" / "example_submission.ipynb", "--out", tmp_path / "out", "--no-figures")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "example_submission"
    results = json.loads((folder / "results.json").read_text())
    assert results["score"] == FULL_MARKS
    assert (folder / "feedback.html").is_file() and (folder / "example_submission.executed.ipynb").is_file()
    assert "100 / 100" in done.stdout
