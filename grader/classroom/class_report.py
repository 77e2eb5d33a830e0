"""The class report: how a whole class did, for the instructor.

``write_class_report(OUT, rows)`` writes ``OUT/class_report.html`` (figures
embedded as base64 PNG) and ``OUT/class_report.md`` (figures as
``OUT/class_report_*.png`` next to it) from the gradebook rows
(:func:`grader.classroom.gradebook.gradebook_row`) and each submission's ``results.json``:

* score histogram; a table of every submission (student, score, status, flags)
  linking to its ``<key>/feedback.html``;
* the near-identical pairs (:mod:`grader.classroom.similarity`) with their scores: for a
  person to look at, never a penalty;
* mean points and pass rate per exercise (table and chart);
* per test: mean points, pass rate, failures (a table and a bar chart per exercise);
* the most frequent failures (test names with counts) and, where tests carry
  ``tags`` (e.g. ``mistake:biases_regularized``), the most frequent tags;
* the slowest submissions (execution_time);
* the submissions that could not be graded, with their status and why.

Statistics over tests use the submissions with status ``graded``; the
histogram shows every submission (not graded = 0 points). Everything that may
come from a submission (file names, messages, test outputs) is escaped.
"""
import base64
import html
import io
import json
import re
import sys
import urllib.parse
from collections import Counter, defaultdict, namedtuple
from datetime import datetime, timezone
from pathlib import Path

from assignment import BASE_POINTS, EXERCISE_POINTS
from student_template.written_answers import QUESTIONS

from grader.classroom.answers_page import PAGE_NAME as ANSWERS_PAGE
from grader.classroom.answers_page import class_counts
from grader.model import EXERCISES
from grader.reports.text import finite_number, fmt_points

HTML_NAME = "class_report.html"
MD_NAME = "class_report.md"
FIGURE_PREFIX = "class_report_"
TOP_FAILURES = 15
TOP_TAGS = 15
TOP_SLOWEST = 10
MAX_LABEL = 60
Link = namedtuple("Link", "text href")      # a table cell that links (href relative to the report)
MAX_POINTS = sum(EXERCISE_POINTS.values())


# ------------------------------------------------------------------------ data

def _result_dir(row):
    return row.get("key") or Path(row["submission"]).stem


def _load_results(out_root, row):
    try:
        data = json.loads((Path(out_root) / _result_dir(row) / "results.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _flags(row):
    """What a person should look at in this row, in words."""
    flags = []
    if row.get("late") == "true":
        flags.append("late")
    if row.get("similar_to"):
        flags.append(f"similar to {row['similar_to']}")
    if row.get("adjustments"):
        flags.append(f"adjusted by hand ({row['adjustments']} points)")
    if row.get("flags"):
        flags.append(str(row["flags"]))
    return "; ".join(flags)


def class_statistics(out_root, rows, pairs=()):
    """Everything the report shows, as plain data (also handy for tests).

    pairs: the flagged near-identical pairs (:class:`grader.classroom.similarity.Pair`, by key).
    """
    rows = list(rows)
    by_key = {_result_dir(row): row for row in rows}
    graded = [row for row in rows if row.get("status") == "graded"]
    tests = {}                      # name -> {"exercise", "max", "scores": [], "passed": int, "order"}
    exercise_passed = Counter()     # exercise -> graded submissions that passed all its tests
    failures, tags, tag_submissions = Counter(), Counter(), Counter()
    for row in graded:
        results = _load_results(out_root, row)
        by_exercise = defaultdict(list)
        seen_tags = set()
        for test in results.get("tests", []):
            if not isinstance(test, dict):
                continue
            name = str(test.get("name", ""))
            passed = test.get("status") == "passed"
            entry = tests.setdefault(name, {"exercise": str(test.get("number", "")), "max": finite_number(test.get("max_score")),
                                            "scores": [], "passed": 0, "order": len(tests)})
            entry["scores"].append(finite_number(test.get("score")))
            entry["passed"] += passed
            by_exercise[entry["exercise"]].append(passed)
            if not passed:
                failures[name] += 1
            for tag in test.get("tags") or []:
                tags[str(tag)] += 1
                seen_tags.add(str(tag))
        for exercise, verdicts in by_exercise.items():
            exercise_passed[exercise] += all(verdicts)
        tag_submissions.update(seen_tags)
    n = len(graded)
    exercises = []
    for exercise in EXERCISES:
        points = [finite_number(row.get(exercise)) for row in graded]
        exercises.append({"exercise": exercise, "max": EXERCISE_POINTS[exercise],
                          "mean": sum(points) / n if n else 0.0,
                          "pass_rate": exercise_passed[exercise] / n if n else 0.0})
    per_test = []
    for name, entry in sorted(tests.items(), key=lambda item: (_exercise_order(item[1]["exercise"]), item[1]["order"])):
        count = len(entry["scores"])
        per_test.append({"name": name, "exercise": entry["exercise"], "max": entry["max"],
                         "mean": sum(entry["scores"]) / count if count else 0.0,
                         "pass_rate": entry["passed"] / count if count else 0.0,
                         "failures": count - entry["passed"], "count": count})
    not_graded = [{"submission": row["submission"], "status": row.get("status", ""),
                   "why": row.get("message", "")} for row in rows if row.get("status") != "graded"]
    slowest = sorted((row for row in rows if row.get("status") != "missing"),
                     key=lambda row: -finite_number(row.get("execution_time")))[:TOP_SLOWEST]
    scores = [finite_number(row.get("score")) for row in rows]
    graded_scores = sorted(finite_number(row.get("score")) for row in graded)
    return {
        "submissions": len(rows), "graded": n, "statuses": Counter(row.get("status", "") for row in rows),
        "scores": scores, "graded_scores": [finite_number(row.get("score")) for row in graded],
        "not_graded_scores": [finite_number(row.get("score")) for row in rows if row.get("status") != "graded"],
        "mean": sum(graded_scores) / n if n else 0.0,
        "median": _median(graded_scores),
        "exercises": exercises, "tests": per_test,
        "failures": failures.most_common(), "tags": [(tag, count, tag_submissions[tag]) for tag, count in tags.most_common()],
        "slowest": [{"submission": row["submission"], "execution_time": finite_number(row.get("execution_time")),
                     "status": row.get("status", "")} for row in slowest],
        "not_graded": not_graded,
        "students": [{"student": row.get("name") or row.get("student") or "", "id": row.get("student", ""),
                      "submission": row["submission"], "score": finite_number(row.get("score")),
                      "status": row.get("status", ""), "flags": _flags(row),
                      "feedback": f"{_result_dir(row)}/feedback.html"
                      if (Path(out_root) / _result_dir(row) / "feedback.html").is_file() else ""} for row in rows],
        "similar": [{"first": by_key.get(p.first, {}).get("submission", p.first),
                     "second": by_key.get(p.second, {}).get("submission", p.second),
                     "first_score": finite_number(by_key.get(p.first, {}).get("score")),
                     "second_score": finite_number(by_key.get(p.second, {}).get("score")),
                     "first_share": p.first_share, "second_share": p.second_share} for p in pairs],
        "fingerprints": sorted({row.get("grader_fingerprint", "") for row in rows} - {""}),
        "written": class_counts(out_root, rows),
    }


def _exercise_order(exercise):
    return EXERCISES.index(exercise) if exercise in EXERCISES else len(EXERCISES)


def _median(values):
    if not values:
        return 0.0
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


# --------------------------------------------------------------------- figures

def _png(figure):
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


def score_histogram(stats):
    """The score histogram (a matplotlib Figure): graded and not graded stacked, legend beside the axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    bins = list(range(0, MAX_POINTS + 6, 5))
    data = [stats["graded_scores"], stats["not_graded_scores"]]
    ax.hist(data, bins=bins, stacked=True, color=["#4878a8", "#c44e52"], label=["graded", "not graded"],
            edgecolor="white")
    ax.axvline(BASE_POINTS, color="#555555", linestyle=":", linewidth=1)
    ax.set_xlabel(f"score (out of {BASE_POINTS}, + bonus {MAX_POINTS - BASE_POINTS})")
    ax.set_ylabel("submissions")
    ax.set_title(f"Scores of {stats['submissions']} submissions")
    # outside the axes: the bars can fill any part of the plot
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def figures(stats):
    """{figure id: PNG bytes}: "score_histogram", "exercises", "tests_<exercise>" for each exercise with tests."""
    from matplotlib.figure import Figure

    out = {"score_histogram": _png(score_histogram(stats))}

    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    names = [e["exercise"] for e in stats["exercises"]]
    positions = range(len(names))
    ax.bar([p - 0.2 for p in positions], [100 * e["mean"] / e["max"] for e in stats["exercises"]], width=0.4,
           label="mean points (% of max)", color="#4878a8")
    ax.bar([p + 0.2 for p in positions], [100 * e["pass_rate"] for e in stats["exercises"]], width=0.4,
           label="all tests passed (% of graded)", color="#55a868")
    ax.set_xticks(list(positions), names)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title("Per exercise")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False, fontsize=8)
    out["exercises"] = _png(fig)

    by_exercise = defaultdict(list)
    for test in stats["tests"]:
        by_exercise[test["exercise"]].append(test)
    for exercise, tests in by_exercise.items():
        fig = Figure(figsize=(7, 0.45 * len(tests) + 0.9))
        ax = fig.add_subplot()
        labels = [_mathtext_safe(_label(test["name"])) for test in tests][::-1]
        rates = [100 * test["pass_rate"] for test in tests][::-1]
        ax.barh(range(len(tests)), rates, color="#55a868")
        ax.set_yticks(range(len(tests)), labels, fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("passed (% of graded submissions)")
        ax.set_title(_mathtext_safe(f"Exercise {_label(exercise, 20)}: pass rate per test"))
        out[f"tests_{_safe_id(exercise)}"] = _png(fig)
    return out


def _safe_id(text):
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(text))[:40] or "_"


# ------------------------------------------------------------------ rendering

def _pct(value):
    return f"{100 * value:.0f}%"


def _md(text):
    """Text safe inside a Markdown table cell: HTML escaped, Markdown syntax and pipes neutralized."""
    text = re.sub(r"([\\`*_\[\]|~])", r"\\\1", " ".join(str(text).split()))
    return html.escape(text, quote=False)


def _h(text):
    return html.escape(str(text), quote=True)


def _href(path):
    return urllib.parse.quote(str(path), safe="/")


def _md_cell(cell):
    return f"[{_md(cell.text)}]({_href(cell.href)})" if isinstance(cell, Link) else _md(cell)


def _html_cell(cell):
    if isinstance(cell, Link):
        return f'<td><a href="{_h(_href(cell.href))}">{_h(cell.text)}</a></td>'
    return f'<td class="num">{_h(cell)}</td>' if _numeric(cell) else f"<td>{_h(cell)}</td>"


def _tables(stats):
    """The report's tables as (title, header, rows of cells (raw text or :data:`Link`), figure id or None, note)."""
    sections = []
    sections.append(("Students", ["student", "id", "submission", "score", "status", "flags", "feedback"],
                     [[s["student"], s["id"], s["submission"], fmt_points(s["score"]), s["status"], s["flags"],
                       Link("feedback", s["feedback"]) if s["feedback"] else ""] for s in stats["students"]],
                     None, "flags are for a person to look at; none of them changes a score"))
    sections.append(("Near-identical submissions", ["submission", "score", "submission", "score", "shared code"],
                     [[p["first"], fmt_points(p["first_score"]), p["second"], fmt_points(p["second_score"]),
                       f"{_pct(p['first_share'])} / {_pct(p['second_share'])}"] for p in stats["similar"]], None,
                     "code in common once the template's own lines are left out (each one's share of its own code); "
                     "for a person to look at, never a penalty" if stats["similar"]
                     else "No two submissions share most of their code."))
    sections.append(("Per exercise", ["exercise", "max", "mean points", "mean %", "all tests passed"],
                     [[e["exercise"], fmt_points(e["max"]), fmt_points(e["mean"]), _pct(e["mean"] / e["max"]) if e["max"] else "",
                       _pct(e["pass_rate"])] for e in stats["exercises"]],
                     "exercises", f"over the {stats['graded']} graded submissions"))
    by_exercise = defaultdict(list)
    for test in stats["tests"]:
        by_exercise[test["exercise"]].append(test)
    for exercise, tests in by_exercise.items():
        sections.append((f"Exercise {exercise}: tests", ["test", "max", "mean points", "passed", "failures"],
                         [[t["name"], fmt_points(t["max"]), fmt_points(t["mean"]), _pct(t["pass_rate"]), str(t["failures"])]
                          for t in tests], f"tests_{_safe_id(exercise)}", ""))
    sections.append(("Written questions (read by the TAs, no points)", ["question", "answered", "not answered"],
                     [[q.id, str(stats["written"][q.id]["answered"]), str(stats["written"][q.id]["not_answered"])]
                      for q in QUESTIONS], None, f"blank or template-only answers count as not answered; see {ANSWERS_PAGE}"))
    sections.append(("Most frequent failures", ["test", "submissions failing it"],
                     [[name, str(count)] for name, count in stats["failures"][:TOP_FAILURES]], None,
                     "" if stats["failures"] else "No test failed."))
    if stats["tags"]:
        sections.append(("Most frequent tags", ["tag", "occurrences", "submissions"],
                         [[tag, str(count), str(subs)] for tag, count, subs in stats["tags"][:TOP_TAGS]], None,
                         "labels the checks attach to tests (e.g. a diagnosed mistake)"))
    sections.append(("Slowest submissions", ["submission", "grading time (s)", "status"],
                     [[s["submission"], f"{s['execution_time']:.1f}", s["status"]] for s in stats["slowest"]], None, ""))
    sections.append(("Not graded", ["submission", "status", "why"],
                     [[s["submission"], s["status"], s["why"]] for s in stats["not_graded"]], None,
                     "" if stats["not_graded"] else "Every submission was graded."))
    return sections


def _summary_lines(stats):
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(stats["statuses"].items()))
    return [f"Submissions: {stats['submissions']} ({statuses or 'none'})",
            f"Graded: {stats['graded']}; mean score {fmt_points(stats['mean'])}, median {fmt_points(stats['median'])} "
            f"(out of {BASE_POINTS} + bonus {MAX_POINTS - BASE_POINTS})",
            "Written questions: " + "; ".join(f"{qid} not answered: {count['not_answered']}"
                                              for qid, count in stats["written"].items()),
            f"Grader fingerprint: {', '.join(f[:16] for f in stats['fingerprints']) or 'unknown'}",
            f"Written {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"]


def render_markdown(stats, figure_files):
    lines = ["# Week 6 class report", ""]
    lines += [f"- {_md(line)}" for line in _summary_lines(stats)] + [""]
    if "score_histogram" in figure_files:
        lines += ["## Scores", "", f"![score histogram]({figure_files['score_histogram']})", ""]
    for title, header, rows, figure, note in _tables(stats):
        lines += [f"## {_md(title)}", ""]
        if note:
            lines += [f"_{_md(note)}_", ""]
        if figure in figure_files:
            lines += [f"![{_md(title)}]({figure_files[figure]})", ""]
        if rows:
            lines.append("| " + " | ".join(_md(h) for h in header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
       "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;"
       "text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right}"
       "img{max-width:100%}.note{color:#666;font-style:italic}")


def render_html(stats, pngs):
    def image(figure_id, alt):
        data = base64.b64encode(pngs[figure_id]).decode("ascii")
        return f'<p><img alt="{_h(alt)}" src="data:image/png;base64,{data}"></p>'

    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>Week 6 class report</title>", f"<style>{CSS}</style></head><body>",
             "<h1>Week 6 class report</h1>", "<ul>"]
    parts += [f"<li>{_h(line)}</li>" for line in _summary_lines(stats)] + ["</ul>"]
    if "score_histogram" in pngs:
        parts += ["<h2>Scores</h2>", image("score_histogram", "score histogram")]
    for title, header, rows, figure, note in _tables(stats):
        parts.append(f"<h2>{_h(title)}</h2>")
        if note:
            parts.append(f'<p class="note">{_h(note)}</p>')
        if figure in pngs:
            parts.append(image(figure, title))
        if rows:
            parts.append("<table><thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in header) + "</tr></thead><tbody>")
            for row in rows:
                cells = "".join(_html_cell(c) for c in row)
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _numeric(text):
    return bool(re.fullmatch(r"-?[0-9.]+%?", str(text)))


def write_class_report(out_root, rows, with_figures=True, pairs=()):
    """Write class_report.html and class_report.md (+ class_report_*.png) into ``out_root``; returns both paths.

    pairs: the near-identical pairs to list (:func:`grader.classroom.similarity.similar_pairs`)."""
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    stats = class_statistics(out_root, rows, pairs)
    pngs = {}
    if with_figures:
        try:
            pngs = figures(stats)
        except Exception as error:      # a figure must never cost the report
            pngs = {}
            print(f"class report: figures could not be drawn ({type(error).__name__}: {error})", file=sys.stderr)
    for old in out_root.glob(FIGURE_PREFIX + "*.png"):
        old.unlink()
    figure_files = {}
    for figure_id, data in pngs.items():
        name = f"{FIGURE_PREFIX}{figure_id}.png"
        (out_root / name).write_bytes(data)
        figure_files[figure_id] = name
    md_path, html_path = out_root / MD_NAME, out_root / HTML_NAME
    md_path.write_text(render_markdown(stats, figure_files) + "\n", encoding="utf-8")
    html_path.write_text(render_html(stats, pngs) + "\n", encoding="utf-8")
    return html_path, md_path
