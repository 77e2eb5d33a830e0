"""How the class pages name a student: the name the roster or the LMS gives, else the id, else the file.

A gradebook row (:mod:`grader.classroom.gradebook`) has ``name`` (from the roster, the LMS download or
Gradescope's metadata), ``student`` (an id, or the notebook's stem for a plain folder) and
``submission`` (the file below the class's folder). The pages show a short name and keep the rest for
a tooltip.
"""
from pathlib import PurePosixPath

from grader.reports.text import one_line

SHORT_NAME = 28          # characters of a name shown in a table (the whole one in its tooltip)


def full_name(row: dict) -> str:
    """The student's name where known (roster, LMS), else their id, else the submission's file name."""
    for text in (row.get("name"), row.get("student")):
        text = one_line(text, 200)
        if text:
            return text
    submission = str(row.get("submission", ""))
    return one_line(PurePosixPath(submission).stem or submission, 200)


def short_name(row: dict) -> str:
    """:func:`full_name` cut to :data:`SHORT_NAME` characters."""
    return one_line(full_name(row), SHORT_NAME)


def who(row: dict) -> str:
    """Everything a tooltip says about the submission: "Jane Doe · id 23456 · doejane_..._week6_backprop.ipynb"."""
    parts = [full_name(row)]
    student = one_line(row.get("student"), 100)
    if student and student != parts[0]:
        parts.append(f"id {student}")
    parts.append(one_line(row.get("submission"), 300))
    return " · ".join(dict.fromkeys(part for part in parts if part))
