"""Grade every fixture submission end to end and check each test's verdict.

Correct submissions in any style score 100 + 5; each mistake fails exactly
the tests listed for it in tests/grader/fixtures.py and passes all others.
"""
import json

import nbformat
import pytest

from grader.checks import TESTS
from grader.config import EXERCISE_POINTS, GraderConfig
from grader.pipeline import grade_notebook
from tests.grader.fixtures import FIXTURES

TEST_NAMES = {spec.name for spec in TESTS}
FULL_MARKS = sum(points for exercise, points in EXERCISE_POINTS.items())


def test_fixture_expectations_name_real_tests():
    for fixture in FIXTURES:
        assert fixture.fails <= TEST_NAMES, fixture.name
        assert fixture.uncertain <= TEST_NAMES, fixture.name


@pytest.fixture(scope="module")
def config():
    # the sandbox and the time budgets are exercised elsewhere; here the verdicts matter
    return GraderConfig(figures=False)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture_is_graded_as_expected(fixture, tmp_path, config):
    notebook = tmp_path / f"{fixture.name}.ipynb"
    nbformat.write(fixture.build(), str(notebook))
    run = grade_notebook(notebook, tmp_path / "out", config)
    assert run.status == "graded", run.message
    verdicts = {test.name: test for test in run.tests}
    assert set(verdicts) == TEST_NAMES
    if fixture.all_fail:
        assert run.score == 0
        assert not any(test.passed for test in run.tests)
        return
    wrong = {name: test.output for name, test in verdicts.items()
             if name not in fixture.uncertain and test.passed == (name in fixture.fails)}
    assert not wrong, f"{fixture.name}: unexpected verdicts: {json.dumps(wrong, indent=1)}"
    for name in fixture.fails:
        assert verdicts[name].score == 0 and verdicts[name].got, name
    if not fixture.fails and not fixture.uncertain:
        assert run.score == FULL_MARKS
    results = json.loads((tmp_path / "out" / fixture.name / "results.json").read_text())
    assert results["score"] == pytest.approx(run.score)
