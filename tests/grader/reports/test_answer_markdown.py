"""A student's written answer rendered as a reader expects (Markdown, LaTeX as MathML), offline and
escaped against the hostile corpus (issue 20, Deliver 6): grader.reports.answer_markdown, and the
student's own written.html built with it."""
import re

import pytest

from grader.reports.answer_markdown import MAX_ANSWER, answer_model, render_answer, safe_mathml
from grader.reports.written_page import render_student_page
from tests.grader.page_checks import script_problems, text_of
from tools.ui_check.hostile import BIDI, BIDI_CONTROLS, IMAGE, SCRIPT, TEXTAREA, huge


def test_markdown_and_math_are_rendered():
    page = str(render_answer("Only **g'** changes: $\\Delta_{l-1} = (\\Delta_l W_l) \\odot g'(A_{l-1})$\n\n"
                             "$$E = -\\frac{1}{N}\\sum_n \\log Y_{n,t_n}$$\n\n- one\n- two"))
    assert "<strong>g'</strong>" in page and "<li>one</li>" in page
    assert page.count("<math ") == 2 and 'display="block"' in page and "<mfrac>" in page and "<mo>⊙</mo>" in page
    assert "$" not in text_of(page) and "\\frac" not in page


def test_prices_are_not_math():
    assert "<math" not in str(render_answer("It costs $5 and $10."))


@pytest.mark.parametrize("hostile", [SCRIPT, IMAGE, TEXTAREA, "<iframe src=x></iframe>",
                                     '<a href="javascript:alert(1)">x</a>', "[x](javascript:alert(1))",
                                     "[x](JaVaScRiPt:alert(1))", "[x](data:text/html,<script>alert(1)</script>)",
                                     "![x](http://tracker.example/pixel.png)", "<svg onload=alert(1)>",
                                     r"$\text{<script>alert(1)</script>}$", r"$\href{javascript:alert(1)}{x}$",
                                     r"$\text{</mtext></math><img src=x onerror=alert(1)>}$",
                                     r"$\color{red\" onmouseover=\"alert(1)}{x}$"])
def test_hostile_input_comes_out_as_text(hostile):
    page = str(render_answer(f"Answer: {hostile} end"))
    assert script_problems(page) == []
    assert not re.search(r"<(img|svg|a href=\"(javascript|data))", page, re.I)
    assert "end" in text_of(page)


def test_links_keep_safe_schemes_only():
    page = str(render_answer("[notes](https://example.org/a) [mail](mailto:ta@uni.example) [x](vbscript:y)"))
    assert '<a href="https://example.org/a">notes</a>' in page and '<a href="mailto:ta@uni.example">' in page
    assert "vbscript" not in re.findall(r'href="([^"]*)"', page)[-1]


def test_latex2mathml_output_is_rebuilt_from_an_allow_list():
    raw = ('<math xmlns="http://www.w3.org/1998/Math/MathML" onload="x"><mrow href="javascript:alert(1)">'
           '<mtext><script>alert(1)</script></mtext><mi style="x" mathvariant="bold">a</mi></mrow>')
    clean = safe_mathml(raw)
    assert clean == ('<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow><mtext>&lt;script&gt;alert(1)'
                     '&lt;/script&gt;</mtext><mi mathvariant="bold">a</mi></mrow></math>')


def test_bidi_controls_are_shown_not_obeyed():
    text = text_of(str(render_answer(f"invoice{BIDI}")))
    assert not set(text) & set(BIDI_CONTROLS) and "[U+202E]" in text


def test_a_10_mb_answer_is_cut(tmp_path):
    model = answer_model(huge())
    assert len(model["html"]) < 2 * MAX_ANSWER and model["hidden"] == len(huge()) - MAX_ANSWER
    page = render_student_page({"submission": "x.ipynb", "questions": {"bonus-q": {"answered": True, "text": huge()}}},
                               tmp_path)
    assert len(page) < 4 * MAX_ANSWER and "9,980,000 more characters not shown" in page and script_problems(page) == []


def test_a_students_written_page_renders_the_answers_and_escapes_the_rest(tmp_path):
    record = {"submission": f"{IMAGE}.ipynb",
              "questions": {"bonus-q": {"answered": True, "text": "Use $g'(a)$ and **relu_grad**."},
                            "3-q": {"answered": True, "text": SCRIPT}},
              "plots": {"1a": {"status": "no figure", "text": f"printed {BIDI} {SCRIPT}", "problem": IMAGE}}}
    page = render_student_page(record, tmp_path)
    assert script_problems(page) == [] and not set(text_of(page)) & set(BIDI_CONTROLS)
    assert "<strong>relu_grad</strong>" in page and page.count("<math ") == 1
    assert "<title>Week 6 written answers: &lt;img src=x onerror=alert(1)&gt;.ipynb</title>" in page
    assert "No figure (no figure)." in page and SCRIPT not in page
