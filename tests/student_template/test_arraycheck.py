"""student_template/arraycheck.py's uniformity rule, which grades init_weights (exercise 1e) and runs in
the self-check: no correct draw ever fails it, and the plausible wrong laws fail it at the sizes checked."""
import numpy as np
import pytest

from student_template.arraycheck import UNIFORM_KS_LIMIT, check_uniform, distance_from_uniform

GRADED_LAYER = 300 * 400        # the grader's big init probe, [2, 400, 300]: its second layer
SELF_CHECK_LAYER = 150 * 120    # the self-check's spread sizes, [2, 150, 120]


def test_no_correct_draw_fails_among_twenty_thousand():
    """A threshold of 2 / sqrt(n) (the grader's before) failed a correct init 1 time in 1,500 per
    layer; 20,000 uniform draws would show about 13 such failures."""
    rng = np.random.default_rng(20261202)
    failed = [seed for seed in range(20_000) if not check_uniform(rng.uniform(-1.0, 1.0, size=800), 1.0, "w").passed]
    assert failed == []


@pytest.mark.parametrize("size", [GRADED_LAYER, SELF_CHECK_LAYER])
@pytest.mark.parametrize("law", ["normal, same std", "normal, std e", "uniform on [0, e]", "uniform on [-e/2, e/2]",
                                 "uniform on [-0.9 e, 0.9 e]"])
def test_the_plausible_wrong_laws_fail(law, size):
    rng, e = np.random.default_rng(7), 0.05
    draw = {"normal, same std": lambda: rng.normal(0.0, e / np.sqrt(3), size),
            "normal, std e": lambda: rng.normal(0.0, e, size),
            "uniform on [0, e]": lambda: rng.uniform(0.0, e, size),
            "uniform on [-e/2, e/2]": lambda: rng.uniform(-e / 2, e / 2, size),
            "uniform on [-0.9 e, 0.9 e]": lambda: rng.uniform(-0.9 * e, 0.9 * e, size)}[law]
    verdict = check_uniform(draw(), e, "weights")
    assert not verdict.passed
    assert "Kolmogorov-Smirnov" in verdict.got and "rng.uniform" in verdict.hint


def test_the_distance_is_kolmogorovs():
    from scipy.stats import kstest
    values = np.random.default_rng(3).uniform(-0.3, 0.35, size=5000)
    assert distance_from_uniform(values, 0.3) == pytest.approx(kstest(values, "uniform", args=(-0.3, 0.6)).statistic)
    assert UNIFORM_KS_LIMIT / np.sqrt(GRADED_LAYER) < 0.057 / 3      # a same-std normal law fails by far


# ------------------------------------------------------------------ what a failed comparison shows

def test_a_value_mismatch_shows_where_and_by_how_much_with_both_sides():
    """The shape, the first index that differs, the largest absolute and relative difference, and the
    values of both sides around that place, index by index (not "shape (7,): [1:7] [...]")."""
    from student_template.arraycheck import check_array

    expected = np.array([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    got = expected.copy()
    got[1, 1], got[1, 2] = 0.25, 0.1
    verdict = check_array(got, expected, "softmax(A)")
    assert not verdict.passed
    lines = verdict.got.splitlines()
    assert lines[0] == "shape (2, 3), a 2 x 3 matrix (6 values): 2 of 6 value(s) differ"
    assert lines[1] == "first difference at index [1, 1]: expected 0.3, got 0.25"
    assert lines[2] == "largest difference: 0.3 absolute (at index [1, 2]), 0.75 relative"
    table = dict((line.split()[0] + line.split()[1], line.split()[2:]) for line in lines[4:] if line.strip().startswith("[1,"))
    assert table["[1,1]"] == ["0.3", "0.25", "<-", "differs"]
    assert table["[1,2]"] == ["0.4", "0.1", "<-", "differs"]
    assert table["[1,0]"] == ["0.3", "0.3"]


def test_a_size_mismatch_gives_both_shapes_in_words():
    from student_template.arraycheck import check_array, check_scalar

    verdict = check_array(np.zeros((7, 2)), np.zeros(7), "sigmoid_grad(a)")
    assert verdict.expected == "sigmoid_grad(a): shape (7,), a vector of 7 values"
    assert verdict.got == "shape (7, 2), a 7 x 2 matrix (14 values)"
    assert check_scalar(np.zeros(3), 0.5, "loss").got == "a vector of 3 values: [0, 0, 0]"
    assert check_array(np.zeros((7, 1)), np.zeros(7), "column").passed      # (N, 1) for (N,) stays right

