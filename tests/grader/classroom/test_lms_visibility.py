"""Which tests students see on Gradescope, and when (issue 13, item 8)."""
import json
import zipfile
from pathlib import Path

import pytest

from project import PROJECT_ROOT
from grader.gradescope import autograder as gradescope
from assignment import TESTS
from grader.config import GraderConfig
from grader.model import GradingRun
from grader.model import TestResult as Result
from grader.reports.results_json import results_dict
from grader.reports.visibility import POLICY_FILE, VisibilityError, load_policy


def run_with_every_test(tmp_path):
    run = GradingRun(notebook_path=tmp_path / "x.ipynb", out_dir=tmp_path / "x", config=GraderConfig())
    run.tests = [Result(spec.name, spec.number, spec.points, score=spec.points, passed=True) for spec in TESTS]
    return run


def test_the_shipped_policy_shows_every_test_at_once(tmp_path, monkeypatch):
    monkeypatch.delenv("WEEK6_VISIBILITY", raising=False)
    results = results_dict(run_with_every_test(tmp_path))
    assert {test["visibility"] for test in results["tests"]} == {"visible"}
    assert load_policy(POLICY_FILE)["default"] == "visible"


def test_a_policy_delays_an_exercise_and_hides_tests_by_name(tmp_path, monkeypatch):
    policy = tmp_path / "visibility.json"
    policy.write_text(json.dumps({"default": "after_published", "exercises": {"2": "after_due_date"},
                                  "tests": {"training*": "hidden"}}), encoding="utf-8")
    monkeypatch.setenv("WEEK6_VISIBILITY", str(policy))
    tests = results_dict(run_with_every_test(tmp_path))["tests"]
    for test in tests:
        expected = ("hidden" if test["name"].startswith("training") else
                    "after_due_date" if test["number"] == "2" else "after_published")
        assert test["visibility"] == expected, test["name"]
    assert {t["visibility"] for t in tests} == {"hidden", "after_due_date", "after_published"}


def test_an_unknown_visibility_is_refused_with_the_allowed_ones(tmp_path):
    policy = tmp_path / "visibility.json"
    policy.write_text(json.dumps({"default": "later"}), encoding="utf-8")
    with pytest.raises(VisibilityError, match="unknown visibility later.*after_due_date"):
        load_policy(policy)


def test_the_autograder_zip_documents_its_visibility(tmp_path):
    path = gradescope.build_autograder_zip(tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        readme = archive.read("README.md").decode("utf-8")
        shipped = json.loads(archive.read(POLICY_FILE.relative_to(PROJECT_ROOT).as_posix()))
    assert "Which tests students see, and when" in readme
    assert f"every other test: `{shipped['default']}`" in readme
    assert "after_due_date" in readme and Path(POLICY_FILE).name in readme
