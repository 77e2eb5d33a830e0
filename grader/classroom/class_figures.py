"""The class report's figures (matplotlib, drawn off screen as PNG): the score histogram, the
per-exercise chart and one pass-rate chart per exercise's tests.

Every label comes from results files (test names, exercise ids): matplotlib's ``$...$`` math is
neutralized and labels are cut. Counts are whole submissions: integer ticks only. A legend lists
only the series that have data.
"""
import io
import re
from collections import defaultdict

from assignment import BASE_POINTS, EXERCISE_POINTS

MAX_LABEL = 60
MAX_POINTS = sum(EXERCISE_POINTS.values())
GRADED_COLOUR, NOT_GRADED_COLOUR, PASS_COLOUR = "#4878a8", "#c44e52", "#55a868"


def png(figure) -> bytes:
    """The figure as PNG bytes (90 dpi, tight)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def _label(text, limit=MAX_LABEL):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mathtext_safe(text):
    # matplotlib reads $...$ as math; a label from a results file must stay plain text
    return text.replace("$", r"\$")


def safe_id(text) -> str:
    """A figure id (and file name part) from any text."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(text))[:40] or "_"


def _whole_counts(axis):
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))


def score_histogram(graded_scores, not_graded_scores, submissions):
    """The score histogram: graded and not graded stacked where both exist; a legend, beside the axes,
    only when there are two series to tell apart."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    bins = list(range(0, int(MAX_POINTS) + 6, 5))
    series = [(graded_scores, GRADED_COLOUR, "graded"), (not_graded_scores, NOT_GRADED_COLOUR, "not graded (0 points)")]
    series = [s for s in series if s[0]] or series[:1]
    ax.hist([s[0] for s in series], bins=bins, stacked=len(series) > 1, color=[s[1] for s in series],
            label=[s[2] for s in series], edgecolor="white")
    ax.axvline(BASE_POINTS, color="#555555", linestyle=":", linewidth=1)
    ax.set_xlabel(f"score (base out of {BASE_POINTS:g}, + bonus up to {MAX_POINTS - BASE_POINTS:g})")
    ax.set_ylabel("submissions")
    _whole_counts(ax.yaxis)
    ax.set_title(f"Scores of {submissions} submissions")
    if len(series) > 1:     # outside the axes: the bars can fill any part of the plot
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def exercises_chart(exercises):
    """Mean points (% of max) and the share of attempts that passed every test, per exercise."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    names = [e["exercise"] for e in exercises]
    positions = range(len(names))
    ax.bar([p - 0.2 for p in positions], [100 * e["mean"] / e["max"] if e["max"] else 0 for e in exercises],
           width=0.4, label="mean points (% of max, graded submissions)", color=GRADED_COLOUR)
    ax.bar([p + 0.2 for p in positions], [100 * e["pass_rate"] for e in exercises], width=0.4,
           label="every test passed (% of attempts)", color=PASS_COLOUR)
    ax.set_xticks(list(positions), names)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title("Per exercise")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize=8)
    return fig


def tests_chart(exercise, tests):
    """Pass rate (% of the submissions that attempted the exercise) of each of its tests."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.45 * len(tests) + 0.9))
    ax = fig.add_subplot()
    labels = [_mathtext_safe(_label(test["name"])) for test in tests][::-1]
    rates = [100 * test["pass_rate"] for test in tests][::-1]
    ax.barh(range(len(tests)), rates, color=PASS_COLOUR)
    ax.set_yticks(range(len(tests)), labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("passed (% of the submissions that attempted it)")
    ax.set_title(_mathtext_safe(f"Exercise {_label(exercise, 20)}: pass rate per test"))
    return fig


def figures(stats) -> dict[str, bytes]:
    """{figure id: PNG}: "score_histogram", "exercises", "tests_<exercise>" for each exercise with tests."""
    out = {"score_histogram": png(score_histogram(stats["graded_scores"], stats["not_graded_scores"],
                                                  stats["submissions"])),
           "exercises": png(exercises_chart(stats["exercises"]))}
    by_exercise = defaultdict(list)
    for test in stats["tests"]:
        by_exercise[test["exercise"]].append(test)
    for exercise, tests in by_exercise.items():
        out[f"tests_{safe_id(exercise)}"] = png(tests_chart(exercise, tests))
    return out
