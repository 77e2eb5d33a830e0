"""Correct solutions written from the contract and the template alone (never from reference/), as
data: ``tests/grader/independent/<style>.py``, one file per style, where a line
``# %% graded NAME`` starts the code of NAME's graded cell. They are the full-marks baselines of
the fixture suite, and the mistake fixtures are variants of them (:func:`variant`), so that a bug
shared by the reference and the grader cannot hide behind fixtures made of the reference's code.

Styles (see each file's header): ``loops`` (the handout's per-sample recipe), ``network_class``
(a class wrapped by the contract's functions), ``einsum``, ``scipy_special`` (expit, log_expit,
logsumexp, softmax).

    python -m tests.grader.independent_solutions OUT_DIR   # write one notebook per style
"""
import re
import sys
from functools import lru_cache
from pathlib import Path

import nbformat

from examples.notebook_builder import fill_template, load_template, write_notebook

SOLUTIONS_DIR = Path(__file__).with_name("independent")
STYLES = ("loops", "network_class", "einsum", "scipy_special")
CELL_MARK = re.compile(r"^# %% graded (\w+)\s*$", re.MULTILINE)


@lru_cache(maxsize=None)
def solution_sources(style):
    """{contract name: the source of its graded cell} of one style, in file order."""
    text = (SOLUTIONS_DIR / f"{style}.py").read_text(encoding="utf-8")
    parts = CELL_MARK.split(text)
    sources = {name: body.strip("\n") + "\n" for name, body in zip(parts[1::2], parts[2::2])}
    if not sources:
        raise ValueError(f"{style}.py has no '# %% graded NAME' lines")
    return sources


def variant(style, changes=(), extra=None):
    """The notebook of ``style`` with each (old, new) of ``changes`` applied wherever ``old`` occurs
    (as a student's edit of the same line would be), and ``extra`` appended as a last code cell
    (a later definition wins at call time). A change that applies nowhere raises, so fixtures
    cannot silently rot."""
    sources = dict(solution_sources(style))
    for old, new in changes:
        holders = [name for name, source in sources.items() if old in source]
        if not holders:
            raise ValueError(f"{old!r} occurs nowhere in {style}.py; update the fixture")
        sources.update({name: sources[name].replace(old, new) for name in holders})
    nb = fill_template(load_template(), sources, verbatim=True)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    return nb


def notebook(style):
    """The correct notebook of ``style``."""
    return variant(style)


def write_all(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_notebook(notebook(style), out_dir / f"independent_{style}.ipynb") for style in STYLES]


if __name__ == "__main__":
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "independent_notebooks"):
        print(written)
