"""The grades in the forms the LMSs import: a Canvas gradebook CSV and a Moodle grading worksheet.

``OUT/canvas_grades.csv``: Canvas's gradebook import (Grades > Import): the
documented header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``,
then a ``Points Possible`` row, then one row per student. Canvas matches a row
by its ``ID`` (the Canvas user id of a Canvas download), ``SIS User ID`` or
``SIS Login ID`` (from a roster); ``<assignment>`` names an existing assignment
(``Week 6 (1234)`` as Canvas exports it) or creates a new one.

``OUT/moodle_grades.csv``: Moodle's assignment grading worksheet (Upload
grading worksheet): ``Identifier`` is ``Participant <id>`` (the id in a Moodle
download's file names); ``Email address`` and ``ID number`` serve Moodle's
gradebook CSV import (map from one of them) when there is no participant id.

Scores are the totals with overrides applied (bonus included). Rows whose status
is not a grade (``grader_error``, ``missing``) are left blank, never 0.
"""
from assignment import BASE_POINTS
from grader.classroom.gradebook import write_csv

CANVAS_FILE = "canvas_grades.csv"
MOODLE_FILE = "moodle_grades.csv"
DEFAULT_ASSIGNMENT = "Week 6 backprop"
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "ID number", "Grade", "Maximum Grade"]
NOT_A_GRADE = {"grader_error", "missing"}


def _grade(row):
    return "" if row.get("status") in NOT_A_GRADE else row.get("score", "")


def canvas_rows(rows, identities, assignment):
    """(rows for the Canvas CSV, submissions left out for want of any Canvas identifier)."""
    out = [{"Student": "Points Possible", **{c: "" for c in CANVAS_FIXED[1:]}, assignment: str(BASE_POINTS)}]
    left_out = []
    for row in rows:
        who = identities.get(row.get("key", ""), {})
        canvas_id = who.get("lms_id", "") if who.get("source") != "moodle" else ""    # a Moodle id is no Canvas id
        cells = {"Student": who.get("name") or row.get("student", ""), "ID": canvas_id,
                 "SIS User ID": who.get("sis_id", ""), "SIS Login ID": who.get("login", ""),
                 "Section": who.get("section", ""), assignment: _grade(row)}
        if not (cells["ID"] or cells["SIS User ID"] or cells["SIS Login ID"]):
            left_out.append(row.get("submission", ""))
            continue
        out.append(cells)
    return out, left_out


def moodle_rows(rows, identities):
    """(rows for the Moodle CSV, submissions left out for want of a participant id, email or ID number)."""
    out, left_out = [], []
    for row in rows:
        who = identities.get(row.get("key", ""), {})
        participant = who.get("lms_id", "") if who.get("source") == "moodle" else ""
        cells = {"Identifier": f"Participant {participant}" if participant else "",
                 "Full name": who.get("name", ""), "Email address": who.get("email", ""),
                 "ID number": who.get("sis_id", ""), "Grade": _grade(row), "Maximum Grade": str(BASE_POINTS)}
        if not (cells["Identifier"] or cells["Email address"] or cells["ID number"]):
            left_out.append(row.get("submission", ""))
            continue
        out.append(cells)
    return out, left_out


def write_lms_files(out_root, rows, identities, assignment=DEFAULT_ASSIGNMENT):
    """Write both files into ``out_root``; returns {path: [submissions left out of it, for want of an id]}."""
    canvas, canvas_left_out = canvas_rows(rows, identities, assignment)
    moodle, moodle_left_out = moodle_rows(rows, identities)
    return {write_csv(canvas, out_root / CANVAS_FILE, CANVAS_FIXED + [assignment]): canvas_left_out,
            write_csv(moodle, out_root / MOODLE_FILE, MOODLE_COLUMNS): moodle_left_out}
