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
