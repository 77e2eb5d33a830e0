"""The gradient charts of the feedback: a failed gradient test's ``extra["gradient_blocks"]`` (the
diagnose stage's relative error per block) as a small horizontal bar chart, a PNG that feedback.md
links and feedback.html embeds (the table of the same numbers is in the feedback's model,
grader/reports/feedback_model.py). The diagnosis itself ("This looks like: ...") is part of the test's
hint.

Drawn with a bare :class:`matplotlib.figure.Figure` (Agg canvas), never registered with pyplot.
"""
import io
import math
from pathlib import Path

CHART_NAME = "gradient_blocks_{index}.png"
TOLERANCE = 1e-6          # the rtol the checks use; drawn as a line
FLOOR = 1e-17             # exact agreement is drawn at this value on the log axis
DPI = 80
MAX_CHARTS = 8            # per report; later tests get the table only


def rows_of(test):
    """The test's gradient-block rows, or [] (tolerant of anything odd in extra)."""
    rows = (getattr(test, "extra", None) or {}).get("gradient_blocks")
    if not isinstance(rows, list):
        return []
    return [row for row in rows if isinstance(row, dict) and "block" in row]


def row_error(row):
    try:
        value = float(row.get("rel_error"))
    except (TypeError, ValueError):
        return math.inf
    return value if not math.isnan(value) else math.inf


def fmt_error(value):
    if math.isinf(value):
        return "inf or NaN"
    return "0 (exact)" if value == 0 else f"{value:.2e}"


def chart_png(rows, title=""):
    """PNG bytes: one horizontal bar per block, log-scale relative error, wrong blocks in red."""
    from matplotlib.figure import Figure

    labels = [str(row["block"]) for row in rows]
    values = [min(max(row_error(row), FLOOR), 1.0) for row in rows]
    colors = ["#c62828" if row.get("wrong") else "#1a7f37" for row in rows]
    height = 0.9 + 0.26 * len(rows)
    figure = Figure(figsize=(5.0, height), dpi=DPI)
    axes = figure.add_subplot(1, 1, 1)
    positions = list(range(len(rows)))[::-1]          # first block at the top
    axes.barh(positions, values, color=colors, left=FLOOR / 10)
    axes.set_xscale("log")
    axes.set_xlim(FLOOR / 10, 2.0)
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontsize=8)
    axes.axvline(TOLERANCE, color="#555555", linestyle="--", linewidth=1)
    axes.set_xlabel("relative error against the reference (log scale; dashed: the tolerance)", fontsize=8)
    axes.tick_params(axis="x", labelsize=7)
    if title:
        axes.set_title(title, fontsize=9)
    figure.subplots_adjust(left=0.14, right=0.97, top=1 - 0.35 / height, bottom=0.55 / height)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def gradient_block_charts(run, out_dir, notes=None):
    """{id(test): (path, png bytes)} for each failed test with gradient blocks; files written in out_dir."""
    charts = {}
    for index, test in enumerate(getattr(run, "tests", None) or []):
        rows = rows_of(test)
        if getattr(test, "passed", False) or not rows or len(charts) >= MAX_CHARTS:
            continue
        try:
            data = chart_png(rows, "Your gradient, block by block")
            path = Path(out_dir) / CHART_NAME.format(index=index)
            path.write_bytes(data)
            charts[id(test)] = (path, data)
        except Exception as exc:   # a chart is a nicety: the table still shows the numbers
            if notes is not None:
                notes.append(f"A gradient chart could not be drawn ({type(exc).__name__})")
    return charts
