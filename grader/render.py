"""Pages people read, rendered from a data model through Jinja2 templates (``grader/templates/``).

A page is built as plain data first (dataclasses, dicts, lists of str and numbers), then rendered
here: ``*.html`` templates are autoescaped (anything a student controls is escaped once, by Jinja2,
never by hand), ``*.md`` templates get the Markdown escapers of :mod:`grader.reports.text` as
filters. No page is assembled from strings or patched after rendering: to change a page, change its
model and render again.

Filters every template may use:
  md       plain text that Markdown shows as written            (text.md_escape)
  code     an inline code span                                  (text.md_code)
  block    a fenced code block                                  (text.md_block)
  points   3.0 -> "3", 2.5 -> "2.5"                              (text.fmt_points)
  line     one printable line, cut to a length (default 160)     (text.one_line)
  cut      text cut to a length, start and end kept              (text.truncate)
  sh       one shell word, quoted where it needs it              (shlex.quote; the Slurm job scripts)
  prefix   text with a lead before it (e.g. a list's "- ")
"""
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from grader.reports.text import fmt_points, md_block, md_code, md_escape, one_line, truncate

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment: HTML autoescaped by the template's name, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],     # {% do parts.append(...) %}: a page's pieces joined by blank lines
    )
    env.filters.update(md=md_escape, code=md_code, block=md_block, points=fmt_points,
                       line=one_line, cut=truncate, sh=lambda value: shlex.quote(str(value)),
                       prefix=lambda text, lead: f"{lead}{text}")
    return env


def render(template: str, **model: Any) -> str:
    """``template`` (a file name under grader/templates/) rendered with ``model`` as its variables."""
    return environment().get_template(template).render(**model)
