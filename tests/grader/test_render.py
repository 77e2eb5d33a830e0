"""grader.render: HTML templates escape what they are given, Markdown ones do not, unknown names fail."""
import jinja2
import pytest

from grader import render

HOSTILE = "<script>alert(1)</script>"


def test_html_templates_are_autoescaped():
    page = render.render("base.html", title=HOSTILE)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page


def test_only_html_templates_are_autoescaped():
    autoescape = render.environment().autoescape
    assert autoescape("feedback.html") is True
    assert autoescape("feedback.md") is False


def test_markdown_filters_escape_markdown():
    filters = render.environment().filters
    assert filters["md"]("*bold* <b>") == r"\*bold\* \<b\>"
    assert filters["points"](2.50) == "2.5"


def test_an_undefined_name_is_an_error_not_an_empty_string():
    with pytest.raises(jinja2.UndefinedError):
        render.render("base.html")
