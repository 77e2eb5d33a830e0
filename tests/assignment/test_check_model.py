"""One check model (student_template/check_model.py): the grader's tests and the self-check's public
checks are the same kind of object, and a judge written once says the same on both sides."""
import numpy as np

import assignment
import reference
from student_template.check_model import HIDDEN, PUBLIC, Check
from student_template.common_judges import init_bounds_judge, values_judge
from student_template.public_checks import public_check
from student_template.week6_selfcheck import load_fixture, run_selfcheck
from tests.grader.fixtures import correct, with_cell
from tests.grader.mistake_fixtures import grade_in_process

# init_weights returning ones: the same values whatever the rng, so both sides see the same weights
ONES_INIT = """
def init_weights(layer_sizes, rng):
    return np.ones(sum(n_out * (n_in + 1) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])))
"""


def test_hidden_tests_and_public_checks_are_checks_that_differ_in_visibility_and_points():
    assert all(isinstance(test, Check) and test.visibility == HIDDEN and test.points >= 0 for test in assignment.TESTS)
    public = [public_check(entry) for entry in load_fixture()["checks"]]
    assert public and all(check.visibility == PUBLIC and check.points == 0 and check.calls for check in public)
    assert {check.exercise for check in public} <= set(assignment.EXERCISE_IDS)


def test_the_shared_judges_are_the_ones_both_sides_build():
    """The values tests and the init-bounds test of the grader, and their kinds in the self-check, are
    made by common_judges (a judge carries its builder's name)."""
    hidden = {test.id: test.judge.__qualname__ for test in assignment.TESTS}
    assert hidden["1e.init_bounds"] == init_bounds_judge([]).__qualname__
    assert hidden["1b.sigmoid_values"] == values_judge([]).__qualname__
    entry = next(entry for entry in load_fixture()["checks"] if entry["kind"] == "init_bounds")
    assert public_check(entry).judge.__qualname__ == init_bounds_judge([]).__qualname__


def test_the_init_bounds_check_tells_both_sides_the_same(in_data_dir, tmp_path):
    hidden = next(test for test in grade_in_process(with_cell(correct(), ONES_INIT), tmp_path).tests
                  if test.id == "1e.init_bounds")
    namespace = {name: getattr(reference, name) for names in assignment.CONTRACT_FUNCTIONS.values() for name in names}
    namespace["init_weights"] = lambda sizes, rng: np.ones(reference.n_params(sizes))
    public = next(result for result in run_selfcheck(namespace, verbose=False)
                  if result.check == "1e-init_weights-bounds")
    assert not hidden.passed and public.status == "failed"
    assert (public.expected, public.got, public.hint) == (hidden.expected, hidden.got, hidden.hint)
    assert "layer 1 of [2, 3, 1]" in hidden.expected and "max |W_1| = 1.0000" in hidden.got
