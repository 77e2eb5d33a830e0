"""A network computed in single precision is named (mistake:float32, "dtype float32 found"): the
diagnosis's Diagnoser.single_precision (assignment/kit/diagnosis.py), on fixture notebooks graded in this process
(tests/grader/mistake_fixtures.py). That nothing else is called float32 is held by
tests/grader/stages/test_diagnose.py: every mistake fixture is named as itself only, on three seeds,
and no correct submission gets a name."""
import numpy as np
import pytest

from assignment.kit.diagnosis import is_float32
from assignment.kit.mistake import SINGLE_PRECISION
from tests.answered import unanswered_tests
from tests.grader.independent_solutions import variant
from tests.grader.mistake_fixtures import TRAINING_TESTS, diagnosed, grade_in_process

# the einsum solution's network functions on float32 copies of W and X: float32 arithmetic throughout
FLOAT32_THROUGHOUT = ("W = np.asarray(W, dtype=float)",
                      "W = np.asarray(W, dtype=np.float32)\n    X = np.asarray(X, dtype=np.float32)")
# every "dtype=float" of the solution made float32: W rounded, then float32 mixed into float64 arithmetic
FLOAT32_DTYPES = ("dtype=float", "dtype=np.float32")


@pytest.mark.parametrize("change", [FLOAT32_THROUGHOUT, FLOAT32_DTYPES], ids=["throughout", "dtypes"])
def test_a_float32_network_is_named_on_every_test_it_fails(change, in_data_dir, tmp_path):
    nb = variant("einsum", [change])
    run = grade_in_process(nb, tmp_path)
    left_out = TRAINING_TESTS | unanswered_tests(nb)      # a bonus added after the solution was written
    failed = {test.id: test for test in run.tests if not test.passed and test.id not in left_out}
    assert failed, "the float32 network failed no test: the fixture proves nothing"
    assert set(diagnosed(run)) == set(failed), diagnosed(run)
    for test in failed.values():
        assert test.tags == [f"mistake:{SINGLE_PRECISION.id}"], (test.id, test.tags)
        assert test.hint.startswith(f"This looks like: {SINGLE_PRECISION.name}."), test.hint
        assert "gradient_blocks" not in test.extra       # every block "wrong" by 1e-7 would say nothing


def test_float32_numbers_are_told_from_float64_ones():
    values = np.random.default_rng(0).standard_normal(50)
    assert is_float32(values.astype(np.float32).astype(float))
    assert not is_float32(values)
    assert is_float32(np.array([0.5, 1.0, -2.0]))        # (so the reference's own must not be float32 numbers)
