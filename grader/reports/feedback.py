"""The student's feedback: feedback.md, a self-contained feedback.html and feedback.json (the model they
are rendered from), and the Markdown of results.json's outputs, all through the templates of
grader/templates/ (feedback.md, feedback.html, feedback_test.md, results_output.md).

The model is :mod:`grader.reports.feedback_model`'s; this module renders it and writes the files. The
HTML embeds its figures and charts as base64 PNG (a larger one is linked) and loads nothing from outside.
"""
import base64
import json
from pathlib import Path

from grader.render import render
from grader.reports.diagnosis_report import gradient_block_charts
from grader.reports.feedback_model import DETAILED_FAILURES, build
from grader.reports.text import write_text_atomically

MODEL_FILE = "feedback.json"
MAX_IMAGE_BYTES = 2_000_000   # larger PNGs are linked, not embedded


def _variables(model):
    return {**model, "model": model, "detailed_limit": DETAILED_FAILURES,
            "passed_count": sum(1 for key in model["order"] if model["tests"][key]["passed"])}


def render_markdown(model: dict) -> str:
    """feedback.md's text."""
    return render("feedback.md", **_variables(model)).rstrip() + "\n"


def _images(model, folder):
    """{file name: data URI} of the model's figures and charts found in ``folder`` (and small enough)."""
    names = [figure["file"] for figure in model["figures"]] + [t["chart"] for t in model["tests"].values() if t["chart"]]
    images = {}
    for name in names:
        try:
            data = (Path(folder) / Path(name).name).read_bytes()
        except OSError:
            continue
        if len(data) <= MAX_IMAGE_BYTES and data.startswith(b"\x89PNG\r\n\x1a\n"):
            images[name] = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return images


def render_html(model: dict, folder) -> str:
    """feedback.html's text; ``folder`` holds the PNGs it embeds."""
    return render("feedback.html", title=f"Week 6 feedback: {model['notebook']}", images=_images(model, folder),
                  **_variables(model))


def test_output(model: dict, key: str) -> str:
    """The Markdown of one test's output in results.json: the page's words for it, said in full."""
    return render("feedback_test.md", test=model["tests"][key], model=model).strip()


def summary_output(model: dict) -> str:
    """The Markdown of results.json's top-level output."""
    return render("results_output.md", **_variables(model)).strip()


def write_pages(model: dict, out_dir) -> tuple:
    """Write feedback.md and feedback.html from ``model`` into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    md_path = write_text_atomically(out_dir / "feedback.md", render_markdown(model))
    html_path = write_text_atomically(out_dir / "feedback.html", render_html(model, out_dir))
    return md_path, html_path


def read_model(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_feedback(run, out_dir, figures=(), notes=()):
    """Write ``feedback.json`` (the model), ``feedback.md`` and ``feedback.html`` into ``out_dir``;
    returns the model.

    figures: PNG paths (inside ``out_dir``) to link from the Markdown and embed in the HTML.
    notes: report-stage remarks for the student (e.g. a figure that could not be drawn).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes = list(notes or [])
    charts = gradient_block_charts(run, out_dir, notes)   # the diagnose stage's per-block gradient errors
    model = build(run, figures, notes, charts)
    write_text_atomically(out_dir / MODEL_FILE, json.dumps(model, ensure_ascii=False) + "\n")
    write_pages(model, out_dir)
    return model
