"""The pages a TA and an instructor read for a class (issue 20, Deliver 5, 6, 9), without a browser:
the class report's model and the TAs' page, escaped against the hostile corpus of tools/ui_check/hostile.py.

``make ui-check`` renders the same pages of a class graded for real in headless Chromium; here the
grading is the stand-in :func:`batch_fakes.fake_grade` (the first test, exercise 1a, scores the
notebook's ``fake_points``; the second, exercise 2, always passes).
"""
import csv
import json
import re

import pytest

from grader.classroom.answers_page import write_answers_page
from grader.classroom.attempts import attempted_exercises, written_functions
from grader.classroom.batch import BatchOptions, grade_batch
from grader.classroom.class_figures import score_histogram
from grader.classroom.class_report import POINTS_RULE
from grader.classroom.gradebook import read_gradebook
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fake_notebook
from tests.grader.page_checks import script_problems, text_of
from tools.ui_check.hostile import BIDI_CONTROLS, IMAGE, SCRIPT, hostile_text
from assignment import BASE_POINTS, BONUS_POINTS
from tests.answered import FULL_MARKS

LOAD_DATA = "def load_data():\n    '''Mine.'''\n    return 1, 2\n"
STUB = "def load_data():\n    '''Exercise 1a.'''\n    raise NotImplementedError('replace this line with your code')\n"


def batch(directory, out, **kwargs):
    return grade_batch(directory, out, BatchOptions(config=GraderConfig(figures=False), progress=False, jobs=1,
                                    grade_function=fake_grade, fingerprint="test-fingerprint", **kwargs))


def fake_class(directory, notebooks):
    """{name: (points, code)} as notebooks in ``directory``."""
    directory.mkdir(parents=True)
    for name, (points, code) in notebooks.items():
        (directory / f"{name}.ipynb").write_text(fake_notebook(points, code), encoding="utf-8")
    return directory


# ------------------------------------------------------------------ attempted work

def test_only_written_functions_count_as_attempted(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": STUB},
        {"cell_type": "code", "source": "def sigmoid(a):\n    return 1 / (1 + np.exp(-a))\n"},
        {"cell_type": "code", "source": "def softmax(A) this cell does not parse"},
        {"cell_type": "code", "source": ["def relu(a):\n", "    pass\n"]},
        {"cell_type": "code", "source": "relu_grad = lambda a: (a > 0) * 1.0\n"},
        {"cell_type": "markdown", "source": "def backprop(): return 1"}]}), encoding="utf-8")
    assert written_functions(path) == {"load_data": False, "sigmoid": True, "relu": False, "relu_grad": True}
    attempted = attempted_exercises(written_functions(path))
    assert attempted["1a"] is False and attempted["1b"] is True and attempted["bonus"] is True
    assert attempted["2"] is False and attempted["3"] is False


def test_failures_are_counted_over_attempted_work_and_not_attempted_apart(tmp_path):
    directory = fake_class(tmp_path / "class", {"blank": (0, STUB), "tried": (0, LOAD_DATA), "right": (5, LOAD_DATA)})
    batch(directory, tmp_path / "out")
    page = (tmp_path / "out" / "class_report.html").read_text(encoding="utf-8")
    failures = page.split('<h2 id="failures">', 1)[1].split("<h2", 1)[0]
    assert '<td>first test</td><td class="num">1</td><td class="num">2</td>' in failures   # 1 of the 2 attempts
    tests = page.split('<h2 id="tests">', 1)[1].split("<h2", 1)[0]
    assert ('<td>first test</td><td class="num">5</td><td class="num">2.5</td><td class="num">50%</td>'
            '<td class="num">1</td><td class="num">1</td>') in tests                     # 1 not attempted, apart
    matrix = page.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    rows = {row.split('">', 2)[2].split("<", 1)[0]: row for row in matrix.split("<tr>")[2:]}
    assert '<td class="pt na" title="Exercise 1a: not attempted">–</td>' in rows["blank"]
    assert '<td class="pt p0" title="Exercise 1a: 0 / 5">0</td>' in rows["tried"]
    assert '<td class="pt p100" title="Exercise 1a: 5 / 5">5</td>' in rows["right"]
    legend = page.split('<div class="legend">', 1)[1].split("</div>", 1)[0]
    assert "full points" in legend and "no points" in legend and "not attempted" in legend
    assert "some points" not in legend and "not graded" not in legend                    # no empty entries


def test_the_points_rule_is_stated_and_one_total_is_everywhere(tmp_path):
    directory = fake_class(tmp_path / "class", {"ann": (3, LOAD_DATA)})
    batch(directory, tmp_path / "out")
    row = read_gradebook(tmp_path / "out" / "gradebook.csv")[0]
    page = (tmp_path / "out" / "class_report.html").read_text(encoding="utf-8")
    md = (tmp_path / "out" / "class_report.md").read_text(encoding="utf-8")
    assert POINTS_RULE.replace("'", "&#39;") in page and f"at most {FULL_MARKS:g}" in POINTS_RULE and "| 28 | graded |" in md
    assert row["score"] == "28" and f'title="28 = 28 / {BASE_POINTS:g} base + 0 / {BONUS_POINTS:g} bonus">28</td>' in page


# ------------------------------------------------------------------ the histogram

def test_histogram_counts_whole_submissions_and_lists_only_series_with_data():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    figure = score_histogram([40.0, 55.0, 105.0], [], 3)
    FigureCanvasAgg(figure).draw()
    (ax,) = figure.axes
    assert ax.get_legend() is None                                  # one series: nothing to tell apart
    ticks = [tick for tick in ax.get_yticks() if ax.get_ylim()[0] <= tick <= ax.get_ylim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    both = score_histogram([40.0], [0.0], 2)
    assert [text.get_text() for text in both.axes[0].get_legend().get_texts()] == ["graded", "not graded (0 points)"]


# ------------------------------------------------------------------ hostile names

def test_hostile_names_and_files_come_out_escaped_short_and_without_bidi_controls(tmp_path):
    name = f"{IMAGE}x"
    directory = fake_class(tmp_path / "class", {name: (2, LOAD_DATA), "copy": (2, LOAD_DATA)})
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Student", "SIS Login ID"], [f"Eve {SCRIPT} {BIDI_CONTROLS}", name]])
    batch(directory, tmp_path / "out", roster=roster)
    for page_name in ("class_report.html", "written_answers.html"):
        page = (tmp_path / "out" / page_name).read_text(encoding="utf-8")
        assert script_problems(page) == [], page_name
        assert not set(text_of(page)) & set(BIDI_CONTROLS), page_name
    page = (tmp_path / "out" / "class_report.html").read_text(encoding="utf-8")
    matrix = page.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    assert ">Eve &lt;script&gt;alert(&#39;xss&#39;)&lt;...</a>" in matrix        # the roster's name, cut short
    md = (tmp_path / "out" / "class_report.md").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<", md) and r"[Eve \<script\>alert('xss')\<...](%3Cimg%20src" in md


# ------------------------------------------------------------------ the TAs' page

def _answers(out, key, submission, answer):
    folder = out / key / "answers"
    folder.mkdir(parents=True)
    record = {"submission": submission, "questions": {
        "bonus-q": {"answered": True, "found_by": "metadata", "text": answer},
        "3-q": {"answered": False, "found_by": "metadata", "text": ""}}, "plots": {}}
    (folder / "answers.json").write_text(json.dumps(record), encoding="utf-8")


def test_tas_page_renders_markdown_and_math_names_students_and_escapes_the_corpus(tmp_path):
    out = tmp_path / "out"
    _answers(out, "23456", "doejane_23456_7_week6_backprop.ipynb",
             "Only $g'$ changes: $\\Delta_{l-1} = (\\Delta_l W_l) \\odot g'(A_{l-1})$, **nothing else**.")
    _answers(out, "66666", f"{IMAGE}.ipynb", hostile_text())
    rows = [{"submission": "doejane_23456_7_week6_backprop.ipynb", "key": "23456", "student": "23456", "name": "Jane Doe"},
            {"submission": f"{IMAGE}.ipynb", "key": "66666", "student": "66666", "name": f"Robert {SCRIPT}"}]
    page = write_answers_page(out, rows).read_text(encoding="utf-8")
    assert script_problems(page) == [] and not set(text_of(page)) & set(BIDI_CONTROLS)
    bonus = page.split('<h2 id="bonus-q">', 1)[1].split("<h2", 1)[0]
    assert '<h3 title="Jane Doe · id 23456 · doejane_23456_7_week6_backprop.ipynb">Jane Doe' in bonus
    jane = bonus.split("Jane Doe", 2)[2].split('<div class="card">', 1)[0]
    assert "<strong>nothing else</strong>" in jane and jane.count("<math ") == 2 and "<mo>⊙</mo>" in jane
    assert "$" not in text_of(jane)                                    # no raw LaTeX left
    assert SCRIPT not in page and "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    assert "Not answered (2): Jane Doe, Robert &lt;script&gt;" in page


@pytest.mark.parametrize("field", ["thumbnail", "image"])
def test_thumbnails_link_to_the_full_figure_beside_them(tmp_path, field):
    from PIL import Image
    out = tmp_path / "out"
    folder = out / "ann" / "answers"
    folder.mkdir(parents=True)
    for name in ("plot-1a-1.png", "plot-1a-1.thumb.png"):
        Image.new("RGB", (40, 30), "red").save(folder / name)
    record = {"submission": "ann.ipynb", "questions": {}, "plots": {"1a": {"status": "found", "figures": [
        {"image": "plot-1a-1.png", "thumbnail": "plot-1a-1.thumb.png"}]}}}
    if field == "image":       # a tampered record cannot point outside the folder
        record["plots"]["1a"]["figures"][0]["image"] = "../../../etc/passwd"
    (folder / "answers.json").write_text(json.dumps(record), encoding="utf-8")
    page = write_answers_page(out, [{"submission": "ann.ipynb", "key": "ann", "student": "ann"}]).read_text()
    section = page.split('<h2 id="plot-1a">', 1)[1].split("<h2", 1)[0]
    link = "ann/answers/plot-1a-1.png" if field == "thumbnail" else "ann/answers/passwd"
    assert f'<a href="{link}" title="open full size"><img alt=' in section and "data:image/png;base64," in section
