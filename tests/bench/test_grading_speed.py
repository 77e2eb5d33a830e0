"""How the grading bench reports a ratio (issue 25): the median of the per-repetition ratios, its aim,
and a warning when the repetitions disagree by more than bench.grading_speed.DISAGREEMENT."""
from bench.grading_speed import DISAGREEMENT, ratio_line


def test_a_ratio_is_the_median_of_its_repetitions_with_its_aim():
    line = ratio_line("grader / bare", [4.0, 4.4, 3.9], [4.0, 4.0, 3.8])
    assert "1.03" in line.splitlines()[0] and "aim <= 1.10: met" in line
    assert "WARNING" not in line


def test_an_aim_not_met_is_said():
    assert "NOT MET" in ratio_line("grader / nbgrader", [5.0, 5.0], [7.0, 7.2])


def test_repetitions_that_disagree_are_flagged():
    apart = 1 + DISAGREEMENT + 0.05
    line = ratio_line("grader / bare", [4.0, 4.0 * apart], [4.0, 4.0])
    assert "WARNING" in line and "not a measurement" in line
    assert "WARNING" not in ratio_line("grader / bare", [4.0, 4.0 * (1 + DISAGREEMENT - 0.05)], [4.0, 4.0])


def test_nothing_measured_gives_no_line():
    assert ratio_line("grader uid / bwrap", [], []) is None
