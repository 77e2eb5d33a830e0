"""The handout's written questions and plots: found in a notebook, collected per submission, shown to the TAs.

Two kinds of tests:

* on notebooks built by script from the template (no kernel): where the answers and plot
  cells are, with and without the template's metadata, and what counts as not answered;
  the PNG checks;
* one small class graded once (module fixture, 2 jobs): the blank template, the example
  (answers written by the example builder) and a notebook that answers one question
  (its answer cell rewritten without metadata, with HTML in it), then the TA page, the
  class report, the feedback, results.json and the command that rebuilds the page.
"""
import base64
import copy
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from examples.notebook_builder import EXAMPLE_PATH, TEMPLATE_PATH, build_example, fill_answers, load_template
from student_template import written_answers as wa
from grader.classroom.answers_page import PAGE_NAME, write_answers_page
from grader.classroom.batch import BatchOptions, grade_batch, grader_fingerprint
from grader.config import GraderConfig
from grader.reports.written_work import ANSWERS_DIR, MAX_FIGURE_PIXELS, STUDENT_PAGE, THUMBNAIL_PIXELS, checked_png
from reference.answers import WRITTEN_ANSWERS
from assignment import BY_ID, EXERCISE_POINTS
from tests.answered import FULL_MARKS

ROOT = Path(__file__).resolve().parents[3]
HOSTILE_ANSWER = "Use relu_grad for g' <script>alert('x')</script> & the same deltas."
PLOT_CELL_IDS = {"1a": "ex1a-plot", "1b": "ex1b-plot", "3": "ex3-plot"}


def without_metadata(nb):
    """``nb`` as an editor that drops cell metadata saves it."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def cell_index(nb, cell_id):
    return next(i for i, cell in enumerate(nb.cells) if cell.get("id") == cell_id)


def answer_cell(nb, question_id):
    return next(cell for cell in nb.cells if cell.metadata.get("week6", {}).get("answer") == question_id)


def crash_after_plots():
    """The example with a cell that kills the kernel after the plots of 1a and 1b: the kernel restarts
    and replays the cells before it, whose figures must stay those of their first run."""
    nb = build_example()
    nb.cells.insert(cell_index(nb, PLOT_CELL_IDS["1b"]) + 1, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    return nb


def one_answer():
    """The example with the exercise 3 answer left at the template's text, and the bonus answer cell
    deleted and written again as a new cell (no metadata), with HTML in it."""
    nb = fill_answers(build_example(), {"3-q": wa.answer_markdown()})
    index = nb.cells.index(answer_cell(nb, "bonus-q"))
    nb.cells[index] = nbformat.v4.new_markdown_cell(HOSTILE_ANSWER)
    return nb


# ---------------------------------------------------------------- finding them (no kernel)

def test_committed_notebooks_are_what_the_scripts_write():
    """The template and the example carry the questions (make template example regenerates them)."""
    from tools.build_template import render
    assert TEMPLATE_PATH.read_text(encoding="utf-8") == render()
    assert EXAMPLE_PATH.read_text(encoding="utf-8") == nbformat.writes(build_example()) + "\n"


def test_template_asks_both_questions_in_marked_cells():
    nb = load_template()
    for question in wa.QUESTIONS:
        asked = [cell for cell in nb.cells if cell.metadata.get("week6", {}).get("question") == question.id]
        assert len(asked) == 1 and asked[0].cell_type == "markdown"
        assert question.prompt in asked[0].source
        following = nb.cells[nb.cells.index(asked[0]) + 1]
        assert following.cell_type == "markdown" and following.metadata["week6"] == {"answer": question.id}
    assert {q.id for q in wa.QUESTIONS} == {"bonus-q", "3-q"}
    prompts = {q.id: q.prompt for q in wa.QUESTIONS}
    assert prompts["bonus-q"] == "How do you compute the gradient in this case?"
    assert prompts["3-q"] == "How can you extend the binary cross-entropy to the multiclass problem?"


def test_blank_template_answers_nothing_with_or_without_metadata():
    for nb in (load_template(), without_metadata(load_template())):
        answers = wa.find_answers(nb)
        assert [a.answered for a in answers.values()] == [False, False]
        assert [q.id for q in wa.unanswered(nb)] == ["bonus-q", "3-q"]
    assert {a.found_by for a in wa.find_answers(without_metadata(load_template())).values()} == {"heading"}


def test_example_answers_are_the_references_with_or_without_metadata():
    for nb, found_by in ((build_example(), "metadata"), (without_metadata(build_example()), "heading")):
        answers = wa.find_answers(nb)
        for question_id, text in WRITTEN_ANSWERS.items():
            assert answers[question_id].text == text
            assert answers[question_id].found_by == found_by
        assert wa.unanswered(nb) == []


def test_plot_cells_found_by_metadata_and_by_their_section():
    nb = load_template()
    expected = {plot_id: [cell_index(nb, cell_id)] for plot_id, cell_id in PLOT_CELL_IDS.items()}
    assert wa.plot_cells(nb) == expected
    assert wa.plot_cells(without_metadata(nb)) == expected
    assert all(nb.cells[i[0]].metadata["week6"]["plot"] == plot_id for plot_id, i in expected.items())


def test_answer_written_below_the_untouched_placeholder_counts():
    nb = load_template()
    index = nb.cells.index(answer_cell(nb, "3-q"))
    nb.cells.insert(index + 1, nbformat.v4.new_markdown_cell("### My answer\n\nA softmax output and one-hot labels."))
    answer = wa.find_answers(nb)["3-q"]
    assert answer.answered and answer.found_by == "heading"
    assert answer.text == "### My answer\n\nA softmax output and one-hot labels."
    assert not wa.find_answers(nb)["bonus-q"].answered          # the next section is not the bonus' answer


def test_answer_typed_into_the_question_cell_counts():
    nb = without_metadata(load_template())
    question = next(q for q in wa.QUESTIONS if q.id == "bonus-q")
    cell = next(c for c in nb.cells if question.prompt in c.source)
    cell.source += "\n\nThe same deltas, with relu_grad in place of sigmoid_grad."
    answer = wa.find_answers(nb)["bonus-q"]
    assert answer.answered and answer.text.endswith("The same deltas, with relu_grad in place of sigmoid_grad.")
    assert "Answer in the cell below" not in answer.text


@pytest.mark.parametrize("text", ["", "   \n\n", wa.PLACEHOLDER, f"**{wa.PLACEHOLDER}**", f"_{wa.PLACEHOLDER}_\n",
                                  "How can you extend the binary cross-entropy to the multiclass problem?",
                                  "*...*"], ids=["empty", "whitespace", "placeholder", "bold-placeholder",
                                                 "underscore-placeholder", "the-prompt", "punctuation"])
def test_blank_or_template_only_is_not_answered(text):
    nb = fill_answers(load_template(), {"3-q": text})
    assert not wa.find_answers(nb)["3-q"].answered
    assert [q.id for q in wa.unanswered(nb)] == ["bonus-q", "3-q"]


def test_placeholder_kept_beside_the_answer_is_removed_from_it():
    nb = fill_answers(load_template(), {"bonus-q": f"{wa.answer_markdown()}\n\nOnly g' changes: relu_grad."})
    assert wa.find_answers(nb)["bonus-q"].text == "Only g' changes: relu_grad."


def test_notebook_that_is_not_a_notebook_answers_nothing():
    for nb in ({}, {"cells": "nope"}, {"cells": [None, 3, {"cell_type": "markdown", "source": ["a", "b"],
                                                          "metadata": {"week6": "x"}}]}):
        assert [q.id for q in wa.unanswered(nb)] == ["bonus-q", "3-q"]
        assert wa.plot_cells(nb) == {"1a": [], "1b": [], "3": []}


def test_selfcheck_lists_the_unanswered_questions():
    from student_template.check_notebook import unanswered_questions, unanswered_report
    assert unanswered_questions(load_template()) == [(q.exercise, q.prompt) for q in wa.QUESTIONS]
    report = unanswered_report(one_answer())
    assert "still unanswered (1;" in report and "exercise 3: How can you extend" in report
    assert "How do you compute" not in report
    assert "all answered" in unanswered_report(build_example())


# ---------------------------------------------------------------- the figures' checks

def png(width=60, height=40):
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_png_output_is_kept_with_a_thumbnail():
    from PIL import Image
    checked, why = checked_png(base64.b64encode(png(900, 600)).decode())
    assert why == "" and checked[0] == png(900, 600)
    with Image.open(io.BytesIO(checked[1])) as thumb:
        assert thumb.format == "PNG" and max(thumb.size) == THUMBNAIL_PIXELS


@pytest.mark.parametrize("payload,reason", [
    ("not base64 at all!", "not valid base64"),
    (base64.b64encode(b"<svg onload=alert(1)>").decode(), "not a PNG"),
    (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 100).decode(), "could not be decoded"),
], ids=["not-base64", "not-png", "corrupt-png"])
def test_what_is_not_a_png_is_not_kept(payload, reason):
    checked, why = checked_png(payload)
    assert checked is None and reason in why


def test_a_decompression_bomb_is_not_kept():
    from PIL import Image
    side = int(MAX_FIGURE_PIXELS ** 0.5) + 10
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) < 100_000        # small file, many pixels
    checked, why = checked_png(base64.b64encode(buffer.getvalue()).decode())
    assert checked is None and "too large" in why


def test_collect_says_why_a_plot_is_missing(tmp_path):
    """Statuses from the cell records, figures from the outputs (no kernel: outputs written by hand)."""
    from types import SimpleNamespace

    from grader.model import CellRecord
    from grader.reports.written_work import collect, save
    nb = build_example()
    index = {plot_id: cell_index(nb, cell_id) for plot_id, cell_id in PLOT_CELL_IDS.items()}
    image = nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png()).decode(),
                                                         "text/plain": "<Figure>"})
    nb.cells[index["1a"]].outputs = [nbformat.v4.new_output("stream", name="stdout", text="X: (400, 2)\n"), image]
    nb.cells[index["1b"]].outputs = [image, image, image, image, image]
    records = [CellRecord(index["1a"], "ok"), CellRecord(index["1b"], "ok"), CellRecord(index["3"], "not_run")]
    work = collect(SimpleNamespace(executed_notebook=nb, notebook=nb, cells=records))
    assert {pid: plot.status for pid, plot in work.plots.items()} == {"1a": "found", "1b": "found", "3": "not run"}
    assert len(work.plots["1b"].figures) == 4 and work.plots["1a"].text == "X: (400, 2)"   # at most MAX_FIGURES
    records[1] = CellRecord(index["1b"], "error", "NameError", "name 'sigmoid' is not defined")
    nb.cells[index["1b"]].outputs = []
    nb.cells[index["3"]].outputs = []
    records[2] = CellRecord(index["3"], "ok")
    work = collect(SimpleNamespace(executed_notebook=nb, notebook=nb, cells=records))
    assert {pid: plot.status for pid, plot in work.plots.items()} == {"1a": "found", "1b": "error", "3": "no figure"}
    assert "NameError: name 'sigmoid' is not defined" in work.plots["1b"].problem
    answers_dir = save(work, tmp_path, "alice.ipynb")
    assert (answers_dir / "plot-1a-1.png").read_bytes() == png()
    assert sorted(p.name for p in answers_dir.iterdir()) == ["answers.json", "plot-1a-1.png", "plot-1a-1.thumb.png",
                                                             STUDENT_PAGE]
    assert collect(SimpleNamespace(executed_notebook=None, notebook=None, cells=[])) is None


# ---------------------------------------------------------------- a small class, graded once

@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("written-class")
    directory = root / "class"
    directory.mkdir()
    nbformat.write(load_template(), str(directory / "blank.ipynb"))
    nbformat.write(build_example(), str(directory / "example.ipynb"))
    nbformat.write(one_answer(), str(directory / "one_answer.ipynb"))
    nbformat.write(crash_after_plots(), str(directory / "crash.ipynb"))
    result = grade_batch(directory, root / "out", BatchOptions(jobs=2, config=GraderConfig(figures=False),
                                      fingerprint=grader_fingerprint(), progress=False))
    return {"out": root / "out", "rows": {row["submission"]: row for row in result.rows}, "result": result}


def results(graded_class, stem):
    return json.loads((graded_class["out"] / stem / "results.json").read_text(encoding="utf-8"))


def test_points_stay_the_contracts(graded_class):
    rows = graded_class["rows"]
    assert {name: row["status"] for name, row in rows.items()} == dict.fromkeys(rows, "graded")
    assert results(graded_class, "example")["score"] == FULL_MARKS
    assert results(graded_class, "one_answer")["score"] == FULL_MARKS     # a missing answer costs no points
    assert results(graded_class, "crash")["score"] == FULL_MARKS
    for stem in ("blank", "example", "one_answer", "crash"):
        data = results(graded_class, stem)
        assert {t["number"] for t in data["tests"]} <= set(EXERCISE_POINTS)   # held to the contract by tests/contract.py
        assert "image/png" not in json.dumps(data) and "iVBORw0KGgo" not in json.dumps(data)  # no PNG inside


def test_results_and_feedback_say_what_is_missing(graded_class):
    written = {stem: results(graded_class, stem)["extra_data"]["written"] for stem in ("blank", "example", "one_answer")}
    assert written["example"]["not_answered"] == [] and written["example"]["plots_missing"] == []
    assert written["example"]["figures"] == {"1a": 1, "1b": 1, "3": 1}
    crash = results(graded_class, "crash")["extra_data"]["written"]
    assert crash["figures"] == {"1a": 1, "1b": 1, "3": 1}, "a kernel restart lost the figures of the cells before it"
    assert written["one_answer"]["not_answered"] == ["3-q"]
    assert written["blank"]["not_answered"] == ["bonus-q", "3-q"]
    assert written["blank"]["plots_missing"] == ["1a", "1b", "3"]      # load_data is a stub: nothing is drawn
    said = f"{BY_ID['bonus'].label.lower()} answered, {BY_ID['3'].label.lower()} not answered"   # "bonus answered, ..."
    assert said in results(graded_class, "one_answer")["output"]
    assert "Plots missing: 1a, 1b, 3" in results(graded_class, "blank")["output"]
    feedback = (graded_class["out"] / "one_answer" / "feedback.md").read_text(encoding="utf-8")
    assert re.search(r'✗ Exercise 3, written question "How can .*multiclass problem\?": not answered', feedback)
    assert re.search(re.escape(BY_ID["bonus"].label) + r', written question "How do you .*": answered', feedback)
    html = (graded_class["out"] / "blank" / "feedback.html").read_text(encoding="utf-8")
    # the template's keep_going() reports the stub's NotImplementedError and lets the cell end normally
    assert "Exercise 1a: Scatter plot of the binary data set: missing: the cell ran but showed no figure" in html


def test_answers_folder_holds_text_and_figures(graded_class):
    answers = graded_class["out"] / "example" / ANSWERS_DIR
    record = json.loads((answers / "answers.json").read_text(encoding="utf-8"))
    assert {qid: q["text"] for qid, q in record["questions"].items()} == WRITTEN_ANSWERS
    for plot_id in ("1a", "1b", "3"):
        figures = record["plots"][plot_id]["figures"]
        assert len(figures) == 1 and (answers / figures[0]["image"]).read_bytes().startswith(b"\x89PNG")
    assert "largest gap between sigmoid_grad" in record["plots"]["1b"]["text"]
    page = (answers / STUDENT_PAGE).read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "src=\"http" not in page


def test_class_page_shows_escaped_answers_and_plots_per_question(graded_class):
    page = (graded_class["out"] / PAGE_NAME).read_text(encoding="utf-8")
    assert graded_class["result"].answers_page == graded_class["out"] / PAGE_NAME
    sections = re.split(r"<h2 ", page)
    bonus, ex3, plot_1a, plot_3 = (next(s for s in sections if s.startswith(f'id="{i}"'))
                                   for i in ("bonus-q", "3-q", "plot-1a", "plot-3"))
    assert "<script>" not in page and "&lt;script&gt;alert('x')&lt;/script&gt; &amp; the same" in bonus
    assert '<h3 title="one_answer · one_answer.ipynb">one_answer' in bonus and "(found by the question&#39;s text)" in bonus
    assert "Not answered (1): blank" in bonus
    assert "Not answered (2): blank, one_answer" in ex3
    assert ex3.count('class="card"') == 2 and "Reference answer" in ex3    # example and crash, beside the model
    for section in (plot_1a, plot_3):
        assert section.count("data:image/png;base64,") == 3                 # example, one_answer and crash
        assert "No figure (1): blank (no figure)" in section
    assert not re.search(r"""(src|href)=["'](https?:|//)""", page)          # nothing from outside


def test_class_report_counts_not_answered(graded_class):
    report = (graded_class["out"] / "class_report.md").read_text(encoding="utf-8")
    assert "bonus-q not answered: 1; 3-q not answered: 2" in report
    html = (graded_class["out"] / "class_report.html").read_text(encoding="utf-8")
    assert "bonus-q not answered: 1; 3-q not answered: 2" in html


def test_command_line_writes_the_page_again(graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    expected = (out / PAGE_NAME).read_text(encoding="utf-8")
    (out / PAGE_NAME).unlink()
    done = subprocess.run([sys.executable, "-m", "grader", "written-answers", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / PAGE_NAME).read_text(encoding="utf-8") == expected
    missing = subprocess.run([sys.executable, "-m", "grader", "written-answers", str(tmp_path / "nope")], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "not a directory" in missing.stderr


def test_grading_again_leaves_no_stale_answers(graded_class, tmp_path):
    """A submission regraded into a stopped run (a timeout, say) must not keep its earlier answers."""
    from grader.classroom.batch import _clear_previous
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    _clear_previous(out / "example")
    assert list((out / "example" / ANSWERS_DIR).iterdir()) == []
    page = write_answers_page(out).read_text(encoding="utf-8")
    assert "3 submissions with written work; 1 without (not readable or not graded): example." in page


def test_page_without_gradebook_lists_the_folders(graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    (out / "gradebook.csv").unlink()
    page = write_answers_page(out).read_text(encoding="utf-8")
    assert "4 submissions with written work" in page and "Not answered (1): blank</p>" in page
