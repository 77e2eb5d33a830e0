"""The student's feedback report: feedback.md and a self-contained feedback.html.

Anything that may come from the submission (values it returned, error messages,
the notebook's name) is escaped: ``html.escape`` in the HTML, code spans/blocks or
backslash escapes in the Markdown (the escapers of :mod:`grader.reports.text`). The HTML embeds its figures as base64 PNG and
loads nothing from outside.
"""
import base64
from pathlib import Path

from assignment import BASE_POINTS, BONUS_POINTS, EXERCISE_POINTS, TITLES, label_of

from grader.model import EXERCISES
from grader.reports.diagnosis_report import gradient_block_charts, html_lines, markdown_lines
from grader.reports.results_json import exercise_scores, score_split
from grader.reports.text import clean_text, esc, fmt_points, md_block, md_code, md_escape, one_line, truncate
from grader.reports.written_work import feedback_html, feedback_markdown

FIELD_CHARS = 4_000            # each Expected / Got / Hint as shown
CELL_TEXT_CHARS = 500          # each cell's error message
MAX_CELLS = 50                 # cell problems listed
MAX_FIGURE_BYTES = 2_000_000   # larger PNGs are linked, not embedded
INLINE_CHARS = 120             # longer single-line values go into a block too
DETAILED_FAILURES = 60         # failed tests shown with Expected/Got/Hint; later ones get one line

CELL_STATUS_WORDS = {
    "error": "raised an error",
    "timeout": "ran out of time",
    "died": "crashed the kernel",
    "exited": "ended the kernel",
    "skipped": "was skipped",
    "not_run": "did not run",
}


# ------------------------------------------------------------------ the content

def _grouped_tests(run):
    """[(exercise id, [tests])] in notebook order; unknown ids last."""
    groups = {number: [] for number in EXERCISES}
    for test in run.tests:
        groups.setdefault(clean_text(getattr(test, "number", "")), []).append(test)
    return [(number, tests) for number, tests in groups.items() if tests or number in EXERCISE_POINTS]


def _summary(run):
    """Header facts shared by both formats."""
    base, bonus = score_split(run)
    return {
        "notebook": Path(clean_text(run.notebook_path)).name,
        "score": f"{fmt_points(base)} / {BASE_POINTS}",
        "bonus": f"{fmt_points(bonus)} / {BONUS_POINTS}",
        "status": one_line(run.status, 40),
        "seed": one_line(run.seed, 40),
        "stopped": run.status != "graded",
        "message": truncate(run.message, FIELD_CHARS),
    }


def _exercise_rows(run):
    """[(label, earned, max, passed, total)] for the points table."""
    scores = exercise_scores(run)
    rows = []
    for number, tests in _grouped_tests(run):
        points = EXERCISE_POINTS.get(number)
        maximum = points if points is not None else sum(getattr(t, "max_score", 0) for t in tests)
        passed = sum(1 for t in tests if t.passed)
        rows.append((number, fmt_points(scores.get(number, 0.0)), fmt_points(maximum), passed, len(tests)))
    return rows


def _fields(test):
    """[(label, text, kind)] of a failed test; kind "value" for Expected/Got, "text" for Hint."""
    return [(label, truncate(getattr(test, attr, ""), FIELD_CHARS), kind)
            for label, attr, kind in (("Expected", "expected", "value"), ("Got", "got", "value"),
                                      ("Hint", "hint", "text"))
            if clean_text(getattr(test, attr, "")).strip()]


def _figure_title(path):
    """decision_boundary_ex1.png -> "Decision boundary, exercise 1"."""
    key = Path(path).stem.rpartition("_ex")[2]
    label = label_of(key)
    return "Decision boundary, " + label[0].lower() + label[1:]


def _detailed(run):
    """ids of the failed tests shown in full (the first DETAILED_FAILURES): keeps the report small."""
    return {id(t) for t in [t for t in run.tests if not t.passed][:DETAILED_FAILURES]}


def _bad_cells(run):
    return [cell for cell in (run.cells or []) if getattr(cell, "status", "ok") != "ok"]


def _cell_line(cell):
    status = clean_text(cell.status)
    what = ": ".join(p for p in (one_line(cell.ename, 80), one_line(cell.evalue, CELL_TEXT_CHARS)) if p)
    return f"Cell {cell.index}", CELL_STATUS_WORDS.get(status, status), what


# ------------------------------------------------------------------- Markdown

def _md_field(label, text, kind):
    if "\n" in text or len(text) > INLINE_CHARS:
        return f"**{label}:**\n\n{md_block(text)}"
    return f"**{label}:** " + (md_code(text) if kind == "value" else md_escape(text))


def render_markdown(run, figures=(), notes=(), charts=None):
    info = _summary(run)
    out = [f"# Week 6 feedback: {md_escape(info['notebook'])}", ""]
    out += [f"**Score: {info['score']}** + bonus **{info['bonus']}**  ",
            f"Status: {md_escape(info['status'])}  ",
            f"Seed: {md_escape(info['seed'])} (the random inputs of the tests; grading again "
            f"with {md_code('--seed ' + info['seed'])} reproduces them)", ""]
    if info["stopped"] or info["message"]:
        title = f"Grading stopped early ({md_escape(info['status'])})" if info["stopped"] else "Note"
        out += [f"**{title}:**", "", md_block(info["message"] or info["status"]), ""]
        if info["stopped"]:
            out += ["Exercises the grader did not reach score 0.", ""]

    out += ["## Points per exercise", "", "| Exercise | Points | Tests passed |", "|---|---|---|"]
    for number, earned, maximum, passed, total in _exercise_rows(run):
        tests = f"{passed} / {total}" if total else "not tested"
        out.append(f"| {md_escape(number)} | {earned} / {maximum} | {tests} |")
    passed_all = sum(1 for t in run.tests if t.passed)
    out += [f"| **Total** | **{info['score']}** + bonus {info['bonus']} | {passed_all} / {len(run.tests)} |", ""]
    if len(run.tests) - passed_all > DETAILED_FAILURES:
        out += [f"Details are shown for the first {DETAILED_FAILURES} failed tests.", ""]

    detailed = _detailed(run)
    for number, tests in _grouped_tests(run):
        if not tests:
            continue
        title = TITLES.get(number, "")
        earned = fmt_points(sum(t.score for t in tests))
        out += [f"## {md_escape(label_of(number))}" + (f": {title}" if title else "")
                + f" ({earned} / {fmt_points(sum(t.max_score for t in tests))})", ""]
        for test in tests:
            mark = "✓" if test.passed else "✗"
            points = f"{fmt_points(test.score)} / {fmt_points(test.max_score)}"
            if test.passed or id(test) not in detailed:
                out.append(f"- {mark} {md_escape(one_line(test.name, 300))} ({points})")
                continue
            out += ["", f"#### {mark} {md_escape(one_line(test.name, 300))} ({points})", ""]
            for label, text, kind in _fields(test):
                out += [_md_field(label, text, kind), ""]
            out += markdown_lines(test, (charts or {}).get(id(test)))
        out.append("")

    cells = _bad_cells(run)
    if cells:
        out += ["## Notebook cells with problems", ""]
        for cell in cells[:MAX_CELLS]:
            where, status, what = _cell_line(cell)
            out.append(f"- {where} {status}" + (f": {md_code(what)}" if what else ""))
        if len(cells) > MAX_CELLS:
            out.append(f"- ... and {len(cells) - MAX_CELLS} more")
        out.append("")

    out += feedback_markdown(getattr(run, "written", None))
    if figures:
        out += ["## Decision boundaries", "",
                "Left: the network your code trained; right: the reference solution's.", ""]
        for path in figures:
            out += [f"![{_figure_title(path)}]({Path(path).name})", ""]

    if notes:
        out += ["## Notes from the grader", ""]
        out += [f"- {md_escape(one_line(note, 500))}" for note in notes]
        out.append("")
    # one blank line between blocks (each code block is a single item, so its own lines are kept)
    out = [line for i, line in enumerate(out) if line or (i > 0 and out[i - 1])]
    return "\n".join(out).rstrip() + "\n"


# ----------------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .7rem; text-align: left; }
tr.total td { font-weight: bold; }
.score { font-size: 1.3rem; font-weight: bold; }
.pass { color: #1a7f37; } .fail { color: #c62828; }
.test { margin: .3rem 0; } .test.failed { border-left: 3px solid #c62828; padding-left: .7rem; margin: 1rem 0; }
.label { font-weight: bold; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: .5rem; white-space: pre-wrap;
      word-break: break-word; max-height: 30rem; overflow: auto; }
code { background: #f6f8fa; padding: 0 .2rem; }
.stopped { background: #fff4e5; border: 1px solid #f0ad4e; padding: .5rem 1rem; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def _html_field(label, text, kind):
    if "\n" in text or len(text) > INLINE_CHARS:
        return f'<div><span class="label">{esc(label)}:</span><pre>{esc(text)}</pre></div>'
    body = f"<code>{esc(text)}</code>" if kind == "value" else esc(text)
    return f'<div><span class="label">{esc(label)}:</span> {body}</div>'


def _img_tag(path):
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    if len(data) > MAX_FIGURE_BYTES:
        return f'<p><a href="{esc(path.name)}">{esc(path.name)}</a></p>'
    encoded = base64.b64encode(data).decode("ascii")
    return f'<p><img alt="{esc(_figure_title(path))}" src="data:image/png;base64,{encoded}"></p>'


def render_html(run, figures=(), notes=(), charts=None):
    info = _summary(run)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>Week 6 feedback: {esc(info['notebook'])}</title>",
           f"<style>{CSS}</style></head><body>",
           f"<h1>Week 6 feedback: {esc(info['notebook'])}</h1>",
           f'<p class="score">Score: {esc(info["score"])} + bonus {esc(info["bonus"])}</p>',
           f"<p>Status: {esc(info['status'])}<br>Seed: {esc(info['seed'])} (the random inputs of the "
           f"tests; grading again with <code>--seed {esc(info['seed'])}</code> reproduces them)</p>"]
    if info["stopped"] or info["message"]:
        title = f"Grading stopped early ({esc(info['status'])})" if info["stopped"] else "Note"
        out.append(f'<div class="stopped"><p class="label">{title}:</p>'
                   f"<pre>{esc(info['message'] or info['status'])}</pre>"
                   + ("<p>Exercises the grader did not reach score 0.</p>" if info["stopped"] else "")
                   + "</div>")

    out += ["<h2>Points per exercise</h2>", "<table><tr><th>Exercise</th><th>Points</th><th>Tests passed</th></tr>"]
    for number, earned, maximum, passed, total in _exercise_rows(run):
        tests = f"{passed} / {total}" if total else "not tested"
        out.append(f"<tr><td>{esc(number)}</td><td>{earned} / {maximum}</td><td>{tests}</td></tr>")
    passed_all = sum(1 for t in run.tests if t.passed)
    out += [f'<tr class="total"><td>Total</td><td>{esc(info["score"])} + bonus {esc(info["bonus"])}</td>'
            f"<td>{passed_all} / {len(run.tests)}</td></tr></table>"]
    if len(run.tests) - passed_all > DETAILED_FAILURES:
        out.append(f"<p>Details are shown for the first {DETAILED_FAILURES} failed tests.</p>")

    detailed = _detailed(run)
    for number, tests in _grouped_tests(run):
        if not tests:
            continue
        title = TITLES.get(number, "")
        earned = fmt_points(sum(t.score for t in tests))
        out.append(f"<h2>{esc(label_of(number))}" + (f": {esc(title)}" if title else "")
                   + f" ({earned} / {fmt_points(sum(t.max_score for t in tests))})</h2>")
        for test in tests:
            points = f"{fmt_points(test.score)} / {fmt_points(test.max_score)}"
            if test.passed or id(test) not in detailed:
                mark = '<span class="pass">✓</span>' if test.passed else '<span class="fail">✗</span>'
                out.append(f'<div class="test">{mark} '
                           f"{esc(one_line(test.name, 300))} ({points})</div>")
                continue
            out.append(f'<div class="test failed"><p><span class="fail">✗</span> '
                       f"<strong>{esc(one_line(test.name, 300))}</strong> ({points})</p>")
            out += [_html_field(label, text, kind) for label, text, kind in _fields(test)]
            out += html_lines(test, (charts or {}).get(id(test)))
            out.append("</div>")

    cells = _bad_cells(run)
    if cells:
        out += ["<h2>Notebook cells with problems</h2>", "<ul>"]
        for cell in cells[:MAX_CELLS]:
            where, status, what = _cell_line(cell)
            out.append(f"<li>{esc(where)} {esc(status)}" + (f": <code>{esc(what)}</code>" if what else "") + "</li>")
        if len(cells) > MAX_CELLS:
            out.append(f"<li>... and {len(cells) - MAX_CELLS} more</li>")
        out.append("</ul>")

    out += feedback_html(getattr(run, "written", None))
    if figures:
        out += ["<h2>Decision boundaries</h2>",
                "<p>Left: the network your code trained; right: the reference solution's.</p>"]
        out += [_img_tag(path) for path in figures]

    if notes:
        out += ["<h2>Notes from the grader</h2>", "<ul>"]
        out += [f"<li>{esc(one_line(note, 500))}</li>" for note in notes]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_feedback(run, out_dir, figures=(), notes=()):
    """Write ``feedback.md`` and ``feedback.html`` into ``out_dir``; returns (md_path, html_path).

    figures: PNG paths (inside ``out_dir``) to link from the Markdown and embed in the HTML.
    notes: report-stage remarks for the student (e.g. a figure that could not be drawn).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / "feedback.md", out_dir / "feedback.html"
    figures, notes = list(figures or []), list(notes or [])
    charts = gradient_block_charts(run, out_dir, notes)   # the diagnose stage's per-block gradient errors
    md_path.write_text(render_markdown(run, figures, notes, charts), encoding="utf-8")
    html_path.write_text(render_html(run, figures, notes, charts), encoding="utf-8")
    return md_path, html_path
