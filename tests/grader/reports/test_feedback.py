"""What one student reads: one cause, one message (grader/reports/causes.py, feedback_model.py), the
pages and results.json's outputs rendered from that one model (grader/templates/feedback*).

Three notebooks are graded for real (a kernel, the sandbox; about 15 s each): the blank template, a
syntax error in softmax's cell, a bce_grad that raises. The rest builds grading runs by hand.
"""
import json
import re

import nbformat
import pytest

from assignment import EXERCISE_POINTS, TESTS
from grader.config import GraderConfig
from grader.model import CellRecord, GradingRun
from grader.model import TestResult as Result   # not "Test...": pytest would try to collect it
from grader.pipeline import grade_notebook
from grader.reports.results_json import MAX_BYTES, validate_results
from grader.stages.report import report
from tests.answered import unanswered_tests
from tests.grader.feedback_fixtures import bce_grad_raises, softmax_does_not_parse
from tests.grader.fixtures import blank_template


def graded(nb, tmp_path, name):
    notebook = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, str(notebook))
    run = grade_notebook(notebook, tmp_path / "out", GraderConfig())
    out = tmp_path / "out" / name
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert validate_results(results, run.status) == []
    return run, results, (out / "feedback.md").read_text(encoding="utf-8"), (out / "feedback.html").read_text(encoding="utf-8")


def section(md, title):
    """The text of the '## title' section of a Markdown page."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", md, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def test_the_blank_template_gets_a_short_list_of_what_is_not_written(tmp_path):
    """Not 36 boxes of NotImplementedError with the same hint: one line per exercise, in at most 60 lines."""
    run, results, md, html = graded(blank_template(), tmp_path, "blank")
    assert run.score == 0
    assert len(md.splitlines()) <= 60, md
    todo = section(md, "Not written yet")
    assert todo.count("\n- **") == len(EXERCISE_POINTS)   # one line per exercise, the bonus included
    assert "- **Exercise 1b** (10 points): `sigmoid` (" in todo and "`sigmoid_grad` (" in todo
    assert "**Got:**" not in md and "NotImplementedError:" not in md and "Run this call" not in md
    assert "## Exercise" not in md                     # no section of tests that all wait for a stub
    for test in results["tests"]:                      # each test alone (Gradescope) says which stub it waits for
        assert test["output"].startswith("**This test could not run.** `") and "is not written yet" in test["output"]
    assert "**Not written yet:** `load_data`, `sigmoid`" in results["output"]
    assert "Not written yet" in html


def test_a_syntax_error_in_softmax_s_cell_is_one_message_naming_the_cell(tmp_path):
    """The cell by its first line and heading, the error and its line, and the tests that needed
    softmax (directly or through ce_backprop) one line each; no box repeats it, no index names a cell."""
    nb = softmax_does_not_parse()
    run, results, md, html = graded(nb, tmp_path, "softmax")
    unanswered = {spec.name for spec in TESTS if spec.id in unanswered_tests(nb)}   # a bonus added after the solution
    failed = [test for test in results["tests"] if test["status"] == "failed" and test["name"] not in unanswered]
    assert {t["number"] for t in failed} == {"3"} and len(failed) == 6
    stopped = section(md, "What stopped your code")
    assert stopped.count("\n### ") == 1
    assert ('### 1. The cell `def softmax(A)` (under "Exercise 3: more than two classes (15 points)") raised an error\n\n'
            "`SyntaxError: expected ':'` at line 2 of the cell: `def softmax(A)`. It leaves `softmax` undefined.") in stopped
    listed = re.findall(r"^- ✗ \[3\] (.+) \(0 / \d+\)$", stopped, re.MULTILINE)
    assert sorted(listed) == sorted(re.sub(r"([\\`*_\[\]<>|~&!{}])", r"\\\1", t["name"]) for t in failed)
    boxed = re.findall(r"^#### ✗ (.+) \([\d.]+ / [\d.]+\)$", md, re.MULTILINE)  # only tests of functions it does not write
    assert md.count("#### ✗") == len(boxed) and {re.sub(r"\\(.)", r"\1", name) for name in boxed} <= unanswered
    assert "softmax is not defined" not in md
    for text in (md, html, results["output"], *(t["output"] for t in results["tests"])):
        assert not re.search(r"\b[Cc]ell \d", text)
    for test in failed:
        assert "The cell `def softmax(A)`" in test["output"] and "SyntaxError" in test["output"]
    assert "The cell <code>def softmax(A)</code>" in html


def test_the_training_test_names_the_function_that_raised(tmp_path):
    """1e's training calls bce_loss and bce_grad: bce_grad raised, so bce_grad is named, with the line."""
    run, results, md, html = graded(bce_grad_raises(), tmp_path, "bce_grad")
    training = next(t for t in results["tests"] if t["name"].startswith("training with your bce_loss"))
    assert training["status"] == "failed"
    assert "`bce_grad` raises an error" in training["output"] and "bce_loss raise" not in training["output"]
    assert "at line 2 of its cell: `sizes = layer_sizes + 1`" in training["output"]
    stopped = section(md, "What stopped your code")
    assert stopped.count("\n### ") == 1 and "### 1. `bce_grad` raises an error" in stopped
    assert "training with your bce\\_loss and bce\\_grad" in stopped and "#### ✗" not in md
    test = next(t for t in run.tests if t.id == "1e.training")
    assert test.got.startswith("bce_grad raised TypeError")


# ------------------------------------------------------------------ runs built by hand

def hand_run(tmp_path, tests, **kwargs):
    kwargs.setdefault("seed", 7)
    return GradingRun(notebook_path=tmp_path / "sub" / kwargs.pop("name", "bob.ipynb"), out_dir=tmp_path / "out",
                      config=GraderConfig(figures=False), tests=tests, **kwargs)


def pages(run):
    out = run.out_dir
    return (json.loads((out / "results.json").read_text(encoding="utf-8")),
            (out / "feedback.md").read_text(encoding="utf-8"), (out / "feedback.html").read_text(encoding="utf-8"))


SIGN_SLIP = {"id": "sigmoid_grad_sign", "name": "a sign slip in sigma'", "hint": "sigma' lies between 0 and 1/4."}


def slipped(name, number, points):
    return Result(name=name, number=number, max_score=points, expected="values", got="other values",
                  hint=f"This looks like: {SIGN_SLIP['name']}. {SIGN_SLIP['hint']}\nCheck the sign.",
                  extra={"diagnosis": [dict(SIGN_SLIP, probes=[])]})


def test_a_hint_that_several_tests_share_is_said_once_and_each_output_keeps_it(tmp_path):
    tests = [slipped("sigmoid_grad values", "1b", 3), slipped("sigmoid_grad scalar", "1b", 1),
             slipped("bce_grad values", "1d", 5), Result(name="load_data", number="1a", max_score=5, score=5, passed=True)]
    run = hand_run(tmp_path, tests)
    report(run)
    results, md, html = pages(run)
    assert md.count("lies between 0 and 1/4") == 1 and html.count("lies between 0 and 1/4") == 1
    assert md.count("Check the sign") == 1
    assert "1. **This looks like: a sign slip in sigma'.** sigma' lies between 0 and 1/4." in section(md, "Hints for several tests")
    assert "- ✗ sigmoid\\_grad scalar (0 / 1): hint 1 above" in md           # one box per exercise and mistake
    assert md.count("#### ✗") == 2
    for test in results["tests"][:3]:     # read alone on Gradescope: each says it
        assert "**Hint:** This looks like: a sign slip in sigma'. sigma' lies between 0 and 1/4." in test["output"]
    assert "**Likely mistakes**" in results["output"] and "a sign slip in sigma'" in results["output"]


def test_the_page_shows_a_test_in_the_words_of_its_results_output(tmp_path):
    test = Result(name="bce_loss", number="1c", max_score=6, expected="bce_loss(W): 0.693", got="line 1\nline 2",
                  hint="Average over the N samples.")
    run = hand_run(tmp_path, [test])
    report(run)
    results, md, _ = pages(run)
    output = results["tests"][0]["output"]
    assert output == ("**Expected:** `bce_loss(W): 0.693`\n\n**Got:**\n\n```text\nline 1\nline 2\n```\n\n"
                      "**Hint:** Average over the N samples.")
    assert f"#### ✗ bce\\_loss (0 / 6)\n\n{output}\n" in md


# ------------------------------------------------------------------ hostile text

HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">', "</textarea><b>bold</b>",
           "evil\u202egnp.exe", "```\n# heading\n<div>", "[link](javascript:alert(3))", "| a | b |"]
HUGE = "x" * 10_000_000


def hostile_run(tmp_path):
    from types import SimpleNamespace

    from assignment import TESTS_BY_ID
    from grader.model import ErrorFrame
    from grader.stages.probe import ProbeOutcome
    from student_template.written_answers import QUESTIONS

    text = " ".join(HOSTILE)
    raising = TESTS_BY_ID["1d.without_regularization"]
    probe = raising.probes[0]
    plan = SimpleNamespace(probes={probe: SimpleNamespace(func="bce_grad")})    # what the feedback reads of a plan
    outcome = ProbeOutcome("error", f"ValueError: {text}", frames=[ErrorFrame("bce_grad", 3, text)])
    tests = [Result(name=f"name {text}", number="1c", max_score=6, expected=text + HUGE, got=HUGE + text,
                    hint=text + "\n" + HUGE, id="1c.without_regularization"),
             Result(name=raising.name, number="1d", max_score=raising.points, id=raising.id, failed_call=probe,
                    got=f"bce_grad raised ValueError: {text}")]
    answers = [nbformat.v4.new_markdown_cell(f"{text} {HUGE if i == 0 else ''}", metadata={"week6": {"answer": q.id}})
               for i, q in enumerate(QUESTIONS)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {text}"), nbformat.v4.new_code_cell(
        f"x = '{text}'", outputs=[nbformat.v4.new_output("error", ename="ValueError", evalue=text + HUGE,
                                                       traceback=[f"Cell In[1], line 1\n{text}"])]), *answers])
    return hand_run(tmp_path, tests, name=f"{HOSTILE[0]}\u202e.ipynb", probe_plan=plan, probe_outcomes={probe: outcome},
                    cells=[CellRecord(1, "error", "ValueError", text + HUGE)], executed_notebook=nb,
                    message=text + HUGE, status="timeout")


def test_text_a_student_controls_comes_out_escaped_and_bounded(tmp_path):
    """Exception messages, returned values, the notebook's name, a cell's lines, written answers: in
    feedback.md, feedback.html and results.json, escaped (no tag, no link, no bidi control) and cut."""
    run = hostile_run(tmp_path)
    report(run)
    results, md, html = pages(run)
    raw_results = (run.out_dir / "results.json").read_text(encoding="utf-8")
    for name in ("feedback.md", "feedback.html", "results.json", "feedback.json"):
        assert (run.out_dir / name).stat().st_size < MAX_BYTES, name
    for text in (md, html, raw_results):
        assert "\u202e" not in text and "[U+202E]" in text
    lowered = html.lower()
    for tag in ("<script", "<img", "</textarea", "<b>bold", "<div>", 'href="javascript'):
        assert tag not in lowered, tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;/textarea&gt;&lt;b&gt;bold" in html
    # Markdown: nothing a submission wrote becomes markup (outside code, every < and [ is escaped)
    for page in (md, results["output"], *(t["output"] for t in results["tests"])):
        prose = re.sub(r"^(`{3,})text\n.*?(\n\1$|\Z)", "", page, flags=re.MULTILINE | re.DOTALL)
        prose = re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", prose)
        assert not re.search(r"(?<!\\)<", prose), prose[:2000]
        assert not re.search(r"(?<!\\)\[link\]\(", prose)
        assert not re.search(r"^#+ heading", prose, re.MULTILINE)
    assert validate_results(results, run.status) == []
    assert "`bce_grad` raises an error" in md and "ValueError: " in md
    assert run.written is not None and all(answer.answered for answer in run.written.answers.values())
