"""The plain-text score table the command line prints after grading one notebook.

ASCII only, one line per failed test, control characters from the submission
removed (no terminal escape sequences get through). The scores and what stopped the
code are the feedback model's (grader/reports/feedback_model.py), said in plain text.
"""
from pathlib import Path

from assignment import EXERCISE_POINTS
from grader.reports.feedback_model import build, exercise_scores
from grader.reports.text import fmt_points, one_line

LINE_WIDTH = 100


def _ascii(text, limit=LINE_WIDTH):
    return one_line(text, limit).encode("ascii", "replace").decode("ascii")


def _plain(parts):
    """Rich text (the model's [kind, text] pairs) as plain text, code between backticks."""
    return "".join(f"`{text}`" if kind == "code" else text for kind, text in parts)


def score_table(run, report_path=None):
    """The run's scores as a few lines of text (no trailing newline).

    report_path: the feedback file to point to; default ``run.out_dir/feedback.html``.
    """
    report_path = report_path or Path(run.out_dir) / "feedback.html"
    scores = exercise_scores(run)
    model = build(run)
    lines = [_ascii(f"{Path(str(run.notebook_path)).name}: status {run.status}, seed {run.seed}"), ""]
    lines.append(f"  {'exercise':<9}{'points':>14}  tests")
    for number, points in EXERCISE_POINTS.items():
        tests = [t for t in run.tests if t.number == number]
        passed = sum(1 for t in tests if t.passed)
        count = f"{passed}/{len(tests)} passed" if tests else "-"
        earned = f"{fmt_points(scores.get(number, 0.0))} / {points}"
        lines.append(f"  {number:<9}{earned:>14}  {count}")
    lines.append(f"  {'score':<9}{model['score']['line']}")   # the grader's words: ASCII already
    if run.status != "graded":
        lines += ["", _ascii(f"Grading stopped early ({run.status}): {run.message}", 2 * LINE_WIDTH)]
    failed = [(t, model["tests"][key]) for t, key in zip(run.tests, model["order"]) if not t.passed]
    problems = [model["causes"][key] for key in model["problems"]]
    if failed:
        lines += ["", f"Failed tests ({len(failed)}):"]
        for t, view in failed:
            head = f"[{t.number}] {t.name} ({fmt_points(t.score)}/{fmt_points(t.max_score)})"
            cause = model["causes"].get(view["cause"]) if view["cause"] else None
            detail = (f": did not run ({_plain(cause['title'])})" if cause else f": got {t.got}" if t.got
                      else f": {t.hint}" if t.hint else "")
            lines.append("  " + _ascii(head + detail, LINE_WIDTH - 2))
    if problems:
        lines += ["", f"What stopped the code ({len(problems)}):"]
        lines += ["  " + _ascii(_plain(cause["title"]) + (": " + _plain(cause["detail"]) if cause["detail"] else ""),
                                LINE_WIDTH - 2) for cause in problems[:10]]
        if len(problems) > 10:
            lines.append(f"  ... and {len(problems) - 10} more")
    lines += ["", _ascii(f"Report: {report_path}", 4 * LINE_WIDTH)]
    return "\n".join(lines)
