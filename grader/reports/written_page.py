"""Each student's ``answers/written.html`` (their written answers and plot cells, for manual grading),
and the page parts the TAs' class page (:mod:`grader.classroom.answers_page`) shares with it.

Self-contained: the figures are embedded as base64 PNG and nothing is loaded from outside. Every
text comes from a student's notebook and is escaped; it is shown as written, not rendered as Markdown.
"""
import base64
from pathlib import Path

from assignment import label_of
from student_template.written_answers import PLOTS, QUESTIONS

from grader.reports.text import esc
CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: .8rem; }
.thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .8rem; }
.card { border: 1px solid #ccc; border-radius: 4px; padding: .5rem .7rem; background: #fff; }
.card h3 { font-size: .95rem; margin: 0 0 .3rem; }
.answer { white-space: pre-wrap; word-break: break-word; font-size: .9rem; max-height: 24rem; overflow: auto; }
.model { background: #f3f8f3; border-color: #8bc34a; }
.missing { color: #c62828; } .meta { color: #666; font-size: .8rem; }
img { max-width: 100%; border: 1px solid #eee; }
pre { white-space: pre-wrap; word-break: break-word; font-size: .8rem; background: #f6f8fa; padding: .4rem; }
"""


def embedded_png(path: "str | Path", alt: str) -> str:
    """An <img> of the PNG at ``path`` (embedded), or "" when it is gone or not a PNG."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ""
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'


def html_page(title: str, body: list[str]) -> str:
    """A whole HTML page: ``title`` as its title and heading, then the ``body`` fragments."""
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      f"<title>{esc(title)}</title>", f"<style>{CSS}</style></head><body>",
                      f"<h1>{esc(title)}</h1>", *body, "</body></html>"]) + "\n"


def question_title(question) -> str:
    """<exercise's label> (<context>): <prompt>, the heading of a written question."""
    where = label_of(question.exercise)
    return f"{where} ({question.context}): {question.prompt}"


def record_entry(record: dict, kind: str, key: str) -> dict:
    """``record[kind][key]`` of an answers.json record ("questions" or "plots"), {} when absent or malformed."""
    entry = (record.get(kind) or {}).get(key)
    return entry if isinstance(entry, dict) else {}


# --------------------------------------------------------------------------- one student

def render_student_page(record: dict, answers_dir: "str | Path") -> str:
    """A student's written answers and plot cells, for manual grading (e.g. a Gradescope question)."""
    submission = str(record.get("submission", ""))
    body = []
    for question in QUESTIONS:
        entry = record_entry(record, "questions", question.id)
        body.append(f"<h2>{esc(question_title(question))}</h2>")
        body.append(f'<div class="card"><div class="answer">{esc(entry.get("text"))}</div></div>'
                    if entry.get("answered") else '<p class="missing">Not answered.</p>')
    for plot in PLOTS:
        entry = record_entry(record, "plots", plot.id)
        body.append(f"<h2>Exercise {esc(plot.exercise)}: {esc(plot.title)}</h2>")
        images = [embedded_png(Path(answers_dir) / str(f.get("image", "")), plot.title)
                  for f in entry.get("figures") or [] if isinstance(f, dict)]
        body += [f"<p>{image}</p>" for image in images if image]
        if not any(images):
            body.append(f'<p class="missing">No figure ({esc(entry.get("status", "not found"))}).</p>')
        if entry.get("text"):
            body.append(f"<pre>{esc(entry['text'])}</pre>")
        if entry.get("problem"):
            body.append(f'<p class="meta">{esc(entry["problem"])}</p>')
    return html_page(f"Week 6 written answers: {submission}", body)
