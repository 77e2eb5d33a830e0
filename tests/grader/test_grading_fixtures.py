"""Grade every fixture submission end to end and check each test's verdict.

Correct submissions in any style score full marks; each mistake fails exactly
the tests listed for it in tests/grader/fixtures.py and passes all others. A test that calls a
function the fixture does not write (a bonus added after its solution was written) fails too
(tests/answered.py).
"""
import dataclasses
import json
from pathlib import Path

import nbformat
import pytest

from assignment import TESTS
from assignment import EXERCISE_POINTS
from grader.config import GraderConfig
from grader.pipeline import grade_notebook
from tests.answered import FULL_MARKS, answered_marks, unanswered_tests
from tests.grader.fixtures import FIXTURES
from tests.grader.mistake_fixtures import TRAINING_TESTS, grade_in_process

TEST_IDS = {spec.id for spec in TESTS}


def test_fixture_expectations_name_real_tests():
    for fixture in FIXTURES:
        assert fixture.fails <= TEST_IDS, fixture.name
        assert fixture.uncertain <= TEST_IDS, fixture.name


@pytest.fixture(scope="module")
def config():
    # the sandbox and the time budgets are exercised elsewhere; here the verdicts matter
    return GraderConfig(figures=False)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture_is_graded_as_expected(fixture, tmp_path, config):
    notebook = tmp_path / f"{fixture.name}.ipynb"
    nb = fixture.build()
    nbformat.write(nb, str(notebook))
    run = grade_notebook(notebook, tmp_path / "out", dataclasses.replace(config, **fixture.config))
    assert run.status == "graded", run.message
    verdicts = {test.id: test for test in run.tests}
    assert set(verdicts) == TEST_IDS
    if fixture.all_fail:
        assert run.score == 0
        assert not any(test.passed for test in run.tests)
        return
    # a test of a function the fixture does not write may go either way: the solution computes
    # backprop(..., activation=g) with g or without (tests/answered.py)
    uncertain = fixture.uncertain | unanswered_tests(nb)
    wrong = {name: (test.got, test.hint) for name, test in verdicts.items()
             if name not in uncertain and test.passed == (name in fixture.fails)}
    assert not wrong, f"{fixture.name}: unexpected verdicts: {json.dumps(wrong, indent=1)}"
    for name in fixture.fails:
        assert verdicts[name].score == 0 and verdicts[name].got, name
    if not fixture.fails and not fixture.uncertain:
        assert answered_marks(nb) <= run.score <= FULL_MARKS     # full marks when it answers every test
    results = json.loads((tmp_path / "out" / fixture.name / "results.json").read_text())
    assert results["score"] == pytest.approx(run.score)


def test_independent_submission_scores_full_marks(tmp_path, config):
    """A solution written from the contract and the template alone, by someone who never read
    reference/ or grader/, in its own style: the grade must not depend on the reference's style."""
    notebook = Path(__file__).with_name("independent") / "week6_independent.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    run = grade_notebook(notebook, tmp_path / "out", config)
    unanswered = unanswered_tests(nb)          # exercises added after it was written
    failed = {test.name: (test.got, test.hint) for test in run.tests if not test.passed and test.id not in unanswered}
    assert not failed, json.dumps(failed, indent=1)
    assert answered_marks(nb) <= run.score <= FULL_MARKS


def test_results_json_of_a_faulty_submission_is_valid_gradescope(tmp_path, config):
    from grader.reports.results_json import validate_results
    from tests.grader.fixtures import biases_regularized
    notebook = tmp_path / "faulty.ipynb"
    nbformat.write(biases_regularized(), str(notebook))
    run = grade_notebook(notebook, tmp_path / "out", config)
    results = json.loads((tmp_path / "out" / "faulty" / "results.json").read_text())
    assert validate_results(results, run.status) == []
    by_exercise = {}
    for test in results["tests"]:
        by_exercise[test["number"]] = by_exercise.get(test["number"], 0) + test["max_score"]
    assert by_exercise == {k: float(v) for k, v in EXERCISE_POINTS.items()}
    assert 0 < results["score"] < FULL_MARKS


# The verdicts must not hang on the inputs one seed happens to draw: each fixture again, on other
# seeds, with the real probe driver and judges in this process (no kernel: its training tests are
# not run, and a notebook with IPython magics cannot run here).
OTHER_SEEDS = (101, 20261202)
IN_PROCESS = [fixture for fixture in FIXTURES if not fixture.all_fail and fixture.name != "correct_foreign_kernel_magics"]


@pytest.mark.parametrize("seed", OTHER_SEEDS)
@pytest.mark.parametrize("fixture", IN_PROCESS, ids=[f.name for f in IN_PROCESS])
def test_fixture_verdicts_hold_on_other_seeds(fixture, seed, tmp_path, in_data_dir):
    nb = fixture.build()
    run = grade_in_process(nb, tmp_path, seed=seed)
    uncertain = fixture.uncertain | TRAINING_TESTS | unanswered_tests(nb)
    wrong = {test.id: (test.got, test.hint) for test in run.tests
             if test.id not in uncertain and test.passed == (test.id in fixture.fails)}
    assert not wrong, f"{fixture.name}, seed {seed}: unexpected verdicts: {json.dumps(wrong, indent=1)}"
