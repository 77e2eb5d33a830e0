"""A submission's written work: its answers to the handout's questions and the figures of its plot cells.

No points: the TAs read them (grader.classroom.answers_page, grader.reports.written_page). The execute stage renders
the figures of the plot cells only (:func:`render_plots_on` / :func:`render_plots_off`
around each of them: the kernel's backend is Agg, which draws nothing, so the
other cells cost nothing to plot); the report stage calls :func:`collect` and
:func:`save`, which writes ``OUT/<stem>/answers/``:

    answers.json               the answers (text) and, per plot, its status, figures and printed text
    plot-<id>-<k>.png          the k-th figure of plot <id>, as the notebook displayed it (decoded, checked)
    plot-<id>-<k>.thumb.png    its thumbnail (at most THUMBNAIL_PIXELS a side), re-encoded
    written.html               just those cells, self-contained: for manual grading (e.g. Gradescope)

Everything here comes from the student's notebook: texts are escaped wherever
they are shown, images are kept only when they decode as PNG within the size
caps, and nothing of it goes into results.json except which questions are
answered and how many figures each plot has.
"""
import base64
import binascii
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from assignment import label_of
from student_template.written_answers import PLOTS, QUESTIONS, Plot, find_answers, plot_cells

from grader.reports.written_page import render_student_page

ANSWERS_DIR = "answers"
ANSWERS_JSON = "answers.json"
STUDENT_PAGE = "written.html"
MAX_FIGURES = 4                    # figures kept per plot
MAX_FIGURE_BYTES = 2_000_000       # a larger PNG is not kept
MAX_FIGURE_PIXELS = 25_000_000     # nor one that decodes to more pixels than this
THUMBNAIL_PIXELS = 320
THUMBNAIL_COLOURS = 128            # a palette keeps a class page of thumbnails small
MAX_PLOT_TEXT = 4_000              # characters of a plot cell's printed output kept
TOGGLE_TIMEOUT = 30                # seconds for the kernel to switch matplotlib's backend

# Grader code run in the kernel around a plot cell (no name is bound in the student's namespace).
# Inline shows and closes the cell's figures as Jupyter would, but without Jupyter's bbox_inches="tight",
# which draws every figure twice; the figures Agg left open before are closed first (Jupyter would have
# closed them at the end of their cells), and Agg's non-interactive mode is restored after (interactive
# Agg would redraw every figure at each pyplot call).
RENDER_ON = """\
try:
    __import__("IPython").get_ipython().run_line_magic("config", "InlineBackend.print_figure_kwargs = {'bbox_inches': None}")
    __import__("IPython").get_ipython().run_line_magic("matplotlib", "inline")
    __import__("matplotlib.pyplot").pyplot.close("all")
except Exception:
    pass"""
RENDER_OFF = """\
try:
    __import__("IPython").get_ipython().run_line_magic("matplotlib", "agg")
    __import__("matplotlib").interactive(False)
except Exception:
    pass"""


def plot_cell_indices(nb):
    """The indices of the cells whose figures are collected (every plot of :data:`PLOTS`)."""
    return {index for indices in plot_cells(nb).values() for index in indices}


def render_plots_on(session):
    """Before a plot cell: the kernel's figures go into the cell's outputs as PNG."""
    session.run_source(RENDER_ON, TOGGLE_TIMEOUT)


def render_plots_off(session):
    """After a plot cell: back to Agg, which draws nothing."""
    session.run_source(RENDER_OFF, TOGGLE_TIMEOUT)


@dataclass
class PlotResult:
    """One plot of :data:`PLOTS` in a submission.

    status: "found" (at least one figure), "no figure" (the cell ran and showed none), "error" (it raised,
        timed out or killed the kernel), "not found" (no such cell), "not run" (not executed: the notebook's
        time budget ran out before it, or grading stopped earlier).
    figures: [(image file name, thumbnail file name)] inside the answers directory.
    """
    plot: Plot
    status: str
    cells: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    text: str = ""
    problem: str = ""


@dataclass
class WrittenWork:
    """The answers ({question id: student_template.written_answers.Answer}) and plots ({plot id: PlotResult})."""
    answers: dict
    plots: dict
    pngs: dict = field(default_factory=dict)     # image file name -> bytes, until saved

    def not_answered(self):
        return [qid for qid, answer in self.answers.items() if not answer.answered]

    def missing_plots(self):
        return [pid for pid, plot in self.plots.items() if plot.status != "found"]

    def summary_line(self):
        """One line for results.json's output: what is there, what is missing."""
        parts = [f"{_question_label(a.question).lower()} {'answered' if a.answered else 'not answered'}"
                 for a in self.answers.values()]
        line = "Written questions (read by your TA, no points here): " + ", ".join(parts)
        if self.missing_plots():
            line += f". Plots missing: {', '.join(self.missing_plots())}"
        return line

    def extra(self):
        """The small summary for results.json's extra_data (no text, no image)."""
        return {"answered": [q for q in self.answers if q not in self.not_answered()],
                "not_answered": self.not_answered(),
                "figures": {pid: len(plot.figures) for pid, plot in self.plots.items()},
                "plots_missing": self.missing_plots()}

    def to_json(self, submission):
        return {
            "submission": submission,
            "questions": {qid: {"exercise": a.question.exercise, "prompt": a.question.prompt,
                                "answered": a.answered, "found_by": a.found_by, "text": a.text}
                          for qid, a in self.answers.items()},
            "plots": {pid: {"exercise": p.plot.exercise, "title": p.plot.title, "status": p.status,
                            "cells": p.cells, "problem": p.problem, "text": p.text,
                            "figures": [{"image": image, "thumbnail": thumb} for image, thumb in p.figures]}
                      for pid, p in self.plots.items()},
        }


# --------------------------------------------------------------------------- figures

def _png_payloads(cell):
    """The base64 text of each image/png the cell displayed, in order."""
    for output in cell.get("outputs") or []:
        if not isinstance(output, dict) or output.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = (output.get("data") or {}).get("image/png")
        if isinstance(data, list):
            data = "".join(map(str, data))
        if isinstance(data, str):
            yield data


def checked_png(payload):
    """(PNG bytes, thumbnail PNG bytes) from a base64 image/png output, or None with the reason."""
    if len(payload) > MAX_FIGURE_BYTES * 4 // 3 + 4:
        return None, "a figure over 2 MB was not kept"
    try:
        raw = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return None, "an image/png output was not valid base64"
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return None, "an image/png output was not a PNG"
    from PIL import Image
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            if image.format != "PNG" or image.width * image.height > MAX_FIGURE_PIXELS:
                return None, "a figure too large to show was not kept"
            image.load()
            thumb = image.convert("RGBA")
            thumb.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            thumb = Image.alpha_composite(Image.new("RGBA", thumb.size, "white"), thumb).convert("RGB")
            buffer = io.BytesIO()
            thumb.quantize(colors=THUMBNAIL_COLOURS, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    except Exception as error:   # a corrupt or hostile PNG: Pillow's errors are many
        return None, f"a figure could not be decoded ({type(error).__name__})"
    return (raw, buffer.getvalue()), ""


def _cell_text(cell):
    texts = [str(o.get("text", "")) if not isinstance(o.get("text"), list) else "".join(o["text"])
             for o in cell.get("outputs") or [] if isinstance(o, dict) and o.get("output_type") == "stream"]
    text = "".join(texts).strip()
    return text if len(text) <= MAX_PLOT_TEXT else text[:MAX_PLOT_TEXT] + "\n[...]"


def _plot_result(plot, indices, cells, records, executed, pngs):
    if not indices:
        return PlotResult(plot, "not found")
    if not executed:
        return PlotResult(plot, "not run", cells=indices)
    result = PlotResult(plot, "no figure", cells=indices)
    problems = []
    for index in indices:
        cell = cells[index]
        text = _cell_text(cell)
        result.text = "\n".join(part for part in (result.text, text) if part)
        for payload in _png_payloads(cell):
            if len(result.figures) >= MAX_FIGURES:
                break
            checked, why = checked_png(payload)
            if checked is None:
                problems.append(why)
                continue
            k = len(result.figures) + 1
            image, thumb = f"plot-{plot.id}-{k}.png", f"plot-{plot.id}-{k}.thumb.png"
            pngs[image], pngs[thumb] = checked
            result.figures.append((image, thumb))
        record = records.get(index)
        if record is not None and record.status != "ok":
            problems.append(f"cell {index} {record.status}" + (f": {record.ename}: {record.evalue}"[:300]
                                                               if record.ename else ""))
    statuses = {records[i].status for i in indices if i in records}
    if result.figures:
        result.status = "found"
    elif statuses & {"error", "timeout", "died"}:
        result.status = "error"
    elif statuses & {"not_run", "skipped"} or len(statuses) < len(indices):
        result.status = "not run"
    result.problem = "; ".join(dict.fromkeys(problems))
    return result


# --------------------------------------------------------------------------- the run

def collect(run):
    """The :class:`WrittenWork` of a grading run, or None when there is no notebook to read."""
    nb = run.executed_notebook if run.executed_notebook is not None else run.notebook
    if nb is None:
        return None
    executed = run.executed_notebook is not None
    records = {record.index: record for record in run.cells or []}
    cells = nb.get("cells") or []
    pngs = {}
    found = plot_cells(nb)
    plots = {plot.id: _plot_result(plot, found[plot.id], cells, records, executed, pngs) for plot in PLOTS}
    return WrittenWork(find_answers(nb), plots, pngs)


def save(work, out_dir, submission):
    """Write ``out_dir/answers/`` (see the module's docstring); returns that directory."""
    answers_dir = Path(out_dir) / ANSWERS_DIR
    if answers_dir.exists():
        shutil.rmtree(answers_dir)
    answers_dir.mkdir(parents=True)
    for name, data in work.pngs.items():
        (answers_dir / name).write_bytes(data)
    record = work.to_json(submission)
    (answers_dir / ANSWERS_JSON).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (answers_dir / STUDENT_PAGE).write_text(render_student_page(record, answers_dir), encoding="utf-8")
    return answers_dir


def read_record(answers_dir):
    """The answers.json that :func:`save` wrote, or None when there is none (or it is unreadable)."""
    try:
        record = json.loads((Path(answers_dir) / ANSWERS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


# --------------------------------------------------------------------------- feedback

PLOT_WORDS = {"found": "shown", "no figure": "missing: the cell ran but showed no figure",
              "error": "missing: the cell raised an error", "not found": "missing: no such cell in the notebook",
              "not run": "missing: the cell did not run"}


def _question_label(question):
    return label_of(question.exercise)


def feedback_items(work):
    """[(label, text, ok)] for the feedback's section (grader/reports/feedback_model.py): each question,
    then each plot."""
    items = []
    for question in QUESTIONS:
        answer = work.answers[question.id]
        items.append((f'{_question_label(question)}, written question "{question.prompt}"',
                      "answered" if answer.answered else
                      "not answered: write your answer in the cell below the question", answer.answered))
    for plot in PLOTS:
        result = work.plots[plot.id]
        text = PLOT_WORDS.get(result.status, result.status)
        if result.status == "found":
            text = f"{len(result.figures)} figure" + ("s" if len(result.figures) > 1 else "") + " shown"
        items.append((f"Exercise {plot.exercise}: {plot.title}", text, result.status == "found"))
    return items
