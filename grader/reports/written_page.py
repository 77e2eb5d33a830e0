"""Each student's ``answers/written.html`` (their written answers and plot cells, for manual grading),
and the parts the TAs' class page (:mod:`grader.classroom.answers_page`) shares with it.

Built as a model (:func:`student_page_model`), rendered through ``grader/templates/written.html``.
Self-contained: the figures are embedded as base64 PNG and nothing is loaded from outside. The
answers are Markdown with LaTeX math, rendered as a reader expects (:mod:`grader.reports.answer_markdown`:
MathML, offline, escaped against hostile input); every other text is escaped by the template.
"""
import base64
from pathlib import Path

from assignment import label_of
from student_template.written_answers import PLOTS, QUESTIONS

from grader.render import render
from grader.reports.answer_markdown import answer_model, visible_controls
from grader.reports.text import one_line

MAX_PLOT_TEXT = 4_000      # characters of a plot cell's printed output shown


def png_data_uri(path: "str | Path") -> str:
    """The PNG at ``path`` as a ``data:`` URI, or "" when it is gone or not a PNG."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def question_title(question) -> str:
    """<exercise's label> (<context>): <prompt>, the heading of a written question."""
    where = label_of(question.exercise)
    return f"{where} ({question.context}): {question.prompt}"


def plot_title(plot) -> str:
    """Exercise <id>: <title>, the heading of a plot."""
    return f"Exercise {plot.exercise}: {plot.title}"


def record_entry(record: dict, kind: str, key: str) -> dict:
    """``record[kind][key]`` of an answers.json record ("questions" or "plots"), {} when absent or malformed."""
    section = record.get(kind) if isinstance(record.get(kind), dict) else {}
    entry = section.get(key)
    return entry if isinstance(entry, dict) else {}


def figures_of(entry: dict) -> list[dict]:
    """The figure records ({"image", "thumbnail"} file names) of a plot entry."""
    return [f for f in entry.get("figures") or [] if isinstance(f, dict)]


# --------------------------------------------------------------------------- one student

def student_page_model(record: dict, answers_dir: "str | Path") -> dict:
    """What a student's written page shows (see the module's doc)."""
    questions = []
    for question in QUESTIONS:
        entry = record_entry(record, "questions", question.id)
        questions.append({"id": question.id, "title": question_title(question), "answered": bool(entry.get("answered")),
                          "answer": answer_model(entry.get("text")) if entry.get("answered") else {}})
    plots = []
    for plot in PLOTS:
        entry = record_entry(record, "plots", plot.id)
        images = [png_data_uri(Path(answers_dir) / Path(str(f.get("image", ""))).name) for f in figures_of(entry)]
        plots.append({"id": plot.id, "title": plot_title(plot), "images": [src for src in images if src],
                      "status": one_line(entry.get("status", "not found"), 40),
                      "text": visible_controls(str(entry.get("text") or "")[:MAX_PLOT_TEXT]),
                      "problem": one_line(entry.get("problem"), 400)})
    return {"title": f"Week 6 written answers: {one_line(record.get('submission', ''), 200)}",
            "questions": questions, "plots": plots}


def render_student_page(record: dict, answers_dir: "str | Path") -> str:
    """A student's written answers and plot cells, for manual grading (e.g. a Gradescope question)."""
    return render("written.html", **student_page_model(record, answers_dir))
