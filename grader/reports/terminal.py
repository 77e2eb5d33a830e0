"""The plain-text score table the command line prints after grading one notebook.

ASCII only, one line per failed test, control characters from the submission
removed (no terminal escape sequences get through).
"""
from pathlib import Path

from assignment import BASE_POINTS, BONUS_POINTS, EXERCISE_POINTS
from grader.reports.results_json import cell_problems, describe_cell, exercise_scores, score_split
from grader.reports.text import fmt_points, one_line

LINE_WIDTH = 100


def _ascii(text, limit=LINE_WIDTH):
    return one_line(text, limit).encode("ascii", "replace").decode("ascii")


def score_table(run, report_path=None):
    """The run's scores as a few lines of text (no trailing newline).

    report_path: the feedback file to point to; default ``run.out_dir/feedback.html``.
    """
    report_path = report_path or Path(run.out_dir) / "feedback.html"
    scores = exercise_scores(run)
    base, bonus = score_split(run)
    lines = [_ascii(f"{Path(str(run.notebook_path)).name}: status {run.status}, seed {run.seed}"), ""]
    lines.append(f"  {'exercise':<9}{'points':>14}  tests")
    for number, points in EXERCISE_POINTS.items():
        tests = [t for t in run.tests if t.number == number]
        passed = sum(1 for t in tests if t.passed)
        count = f"{passed}/{len(tests)} passed" if tests else "-"
        earned = f"{fmt_points(scores.get(number, 0.0))} / {points}"
        lines.append(f"  {number:<9}{earned:>14}  {count}")
    lines.append(f"  {'total':<9}{fmt_points(base) + ' / ' + str(BASE_POINTS):>14}"
                 f"  + bonus {fmt_points(bonus)} / {BONUS_POINTS}")
    if run.status != "graded":
        lines += ["", _ascii(f"Grading stopped early ({run.status}): {run.message}", 2 * LINE_WIDTH)]
    failed = [t for t in run.tests if not t.passed]
    if failed:
        lines += ["", f"Failed tests ({len(failed)}):"]
        for t in failed:
            head = f"[{t.number}] {t.name} ({fmt_points(t.score)}/{fmt_points(t.max_score)})"
            detail = f": got {t.got}" if t.got else f": {t.hint}" if t.hint else ""
            lines.append("  " + _ascii(head + detail, LINE_WIDTH - 2))
    problems = cell_problems(run)
    if problems:
        lines += ["", f"Notebook cells with problems ({len(problems)}):"]
        lines += ["  " + _ascii(describe_cell(cell, 80), LINE_WIDTH - 2) for cell in problems[:10]]
        if len(problems) > 10:
            lines.append(f"  ... and {len(problems) - 10} more")
    lines += ["", _ascii(f"Report: {report_path}", 4 * LINE_WIDTH)]
    return "\n".join(lines)
