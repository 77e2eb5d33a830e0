"""The grades in the forms the LMSs import: a Canvas gradebook CSV and a Moodle grading worksheet.

``OUT/canvas_grades.csv``: Canvas's gradebook import (Grades > Import): the
documented header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``,
then a ``Points Possible`` row, then one row per student. Canvas matches a row
by its ``ID`` (the Canvas user id of a Canvas download), ``SIS User ID`` or
``SIS Login ID`` (from a roster); ``<assignment>`` names an existing assignment
(``Week 6 (1234)`` as Canvas exports it: ``--assignment``, ``make grade ASSIGNMENT=...``)
or creates a new one.

``OUT/moodle_grades.csv``: Moodle's assignment grading worksheet (Upload
grading worksheet): ``Identifier`` is ``Participant <id>`` (the id in a Moodle
download's file names); ``Email address`` and ``ID number`` serve Moodle's
gradebook CSV import (map from one of them) when there is no participant id.

Which files (:class:`LmsOptions`, ``files``): those asked for (``--lms canvas,moodle``), else the
download's own LMS (a Canvas download gets the Canvas file only: a Moodle file of a Canvas class
could match nobody in Moodle), else, for a class from neither (a folder, Gradescope), each LMS
that at least one submission has an identifier for. A file not written is removed from OUT (an
earlier run's would be stale) and the summary says why.

Points, one rule everywhere: a score is the base points (out of ``assignment.BASE_POINTS``) plus
the bonus points (extra credit, out of ``assignment.BONUS_POINTS``), with overrides applied: the
gradebook's ``score``; both files' points possible / maximum grade are the base points, so a
full bonus reads as more than full marks, as extra credit does in both LMSs.

A row whose status is not a grade (``grader_error``, ``missing``: the grader's failure) is left blank,
never 0. A student with no notebook the grader could read (``no_notebook``, ``unreadable``) has 0
points in the gradebook, and in the LMS files a blank cell by default (``ungraded="blank"``): a 0
imported into the LMS is a failing grade published to the student, while what happened (a PDF or
a ``.txt`` uploaded in place of the notebook, a file broken in the upload) is nearly always settled
by asking for the right file; a blank leaves the cell to be graded by a person, and the gradebook's
``message`` says why. ``ungraded="zero"`` (``--ungraded zero``, ``make grade UNGRADED=zero``)
writes the 0 instead, for a course whose rule is that what cannot be graded scores 0.
"""
from dataclasses import dataclass
from pathlib import Path

from assignment import BASE_POINTS
from grader.classroom.gradebook import write_csv

CANVAS_FILE = "canvas_grades.csv"
MOODLE_FILE = "moodle_grades.csv"
LMS_NAMES = ("canvas", "moodle")
DEFAULT_ASSIGNMENT = "Week 6 backprop"
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "ID number", "Grade", "Maximum Grade"]
NOT_A_GRADE = {"grader_error", "missing"}          # the grader's failure: always blank
NOTHING_GRADABLE = {"no_notebook", "unreadable"}   # no notebook the grader could read: blank or 0, as chosen
UNGRADED_CHOICES = ("blank", "zero")
DEFAULT_UNGRADED = "blank"


@dataclass(frozen=True)
class LmsOptions:
    """What goes into the LMS files.

    assignment: Canvas's column (an existing assignment as Canvas exports it, ``Week 6 (1234)``, or a new one).
    files: the LMSs whose file to write (a subset of :data:`LMS_NAMES`); None: as the module's doc says.
    ungraded: "blank" or "zero", the LMS cell of a submission with nothing gradable (:data:`NOTHING_GRADABLE`).
    """
    assignment: str = DEFAULT_ASSIGNMENT
    files: tuple | None = None
    ungraded: str = DEFAULT_UNGRADED

    def __post_init__(self):
        if self.ungraded not in UNGRADED_CHOICES:
            raise ValueError(f"ungraded must be one of {', '.join(UNGRADED_CHOICES)}, not {self.ungraded!r}")
        unknown = set(self.files or ()) - set(LMS_NAMES)
        if unknown:
            raise ValueError(f"unknown LMS {', '.join(sorted(unknown))} (known: {', '.join(LMS_NAMES)})")


def lms_options(value: "LmsOptions | str") -> LmsOptions:
    """``value`` as options: a str is Canvas's column name (the other options at their defaults)."""
    return value if isinstance(value, LmsOptions) else LmsOptions(assignment=str(value))


def parse_lms(text: str | None) -> tuple | None:
    """``--lms`` text ("canvas,moodle", "moodle") -> the LMS names; None or "" or "auto" -> None."""
    if not text or text.strip().lower() == "auto":
        return None
    return tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))


def _grade(row, ungraded):
    status = row.get("status")
    if status in NOT_A_GRADE or (status in NOTHING_GRADABLE and ungraded == "blank"):
        return ""
    return row.get("score", "")


def canvas_rows(rows, identities, assignment, ungraded=DEFAULT_UNGRADED):
    """(rows for the Canvas CSV, submissions left out for want of any Canvas identifier)."""
    out = [{"Student": "Points Possible", **{c: "" for c in CANVAS_FIXED[1:]}, assignment: str(BASE_POINTS)}]
    left_out = []
    for row in rows:
        cells = _canvas_cells(row, identities.get(row.get("key", ""), {}))
        if not (cells["ID"] or cells["SIS User ID"] or cells["SIS Login ID"]):
            left_out.append(row.get("submission", ""))
            continue
        out.append({**cells, assignment: _grade(row, ungraded)})
    return out, left_out


def _canvas_cells(row, who):
    canvas_id = who.get("lms_id", "") if who.get("source") != "moodle" else ""    # a Moodle id is no Canvas id
    return {"Student": who.get("name") or row.get("student", ""), "ID": canvas_id,
            "SIS User ID": who.get("sis_id", ""), "SIS Login ID": who.get("login", ""),
            "Section": who.get("section", "")}


def moodle_rows(rows, identities, ungraded=DEFAULT_UNGRADED):
    """(rows for the Moodle CSV, submissions left out for want of a participant id, email or ID number)."""
    out, left_out = [], []
    for row in rows:
        cells = _moodle_cells(identities.get(row.get("key", ""), {}))
        if not (cells["Identifier"] or cells["Email address"] or cells["ID number"]):
            left_out.append(row.get("submission", ""))
            continue
        out.append({**cells, "Grade": _grade(row, ungraded), "Maximum Grade": str(BASE_POINTS)})
    return out, left_out


def _moodle_cells(who):
    participant = who.get("lms_id", "") if who.get("source") == "moodle" else ""
    return {"Identifier": f"Participant {participant}" if participant else "",
            "Full name": who.get("name", ""), "Email address": who.get("email", ""), "ID number": who.get("sis_id", "")}


def _identified(lms, who):
    if lms == "canvas":
        cells = _canvas_cells({}, who)
        return bool(cells["ID"] or cells["SIS User ID"] or cells["SIS Login ID"])
    cells = _moodle_cells(who)
    return bool(cells["Identifier"] or cells["Email address"] or cells["ID number"])


def chosen_files(rows, identities, files=None):
    """({LMS name: why it is written}, {LMS name: why not}) for a class (see the module's doc)."""
    if files is not None:
        return ({lms: "asked for" for lms in files},
                {lms: "not asked for (--lms)" for lms in LMS_NAMES if lms not in files})
    people = [identities.get(row.get("key", ""), {}) for row in rows]
    sources = {who.get("source") for who in people}
    if len(sources) == 1 and sources <= set(LMS_NAMES):
        source = sources.pop()
        return ({source: f"a {source.title()} download"},
                {lms: f"a {source.title()} download: its students have no {lms.title()} identifier to import by "
                      f"(--lms {lms} writes it all the same)" for lms in LMS_NAMES if lms != source})
    written, not_written = {}, {}
    for lms in LMS_NAMES:
        if any(_identified(lms, who) for who in people):
            written[lms] = "some submissions carry its identifiers"
        else:
            not_written[lms] = (f"no submission carries a {lms.title()} identifier (give ROSTER= with "
                                + ("Canvas ids, SIS user ids or logins)" if lms == "canvas" else "emails or ID numbers)"))
    return written, not_written


def write_lms_files(out_root, rows, identities, options=LmsOptions()):
    """Write the chosen files into ``out_root`` (and remove the others' stale copies).

    Returns ({path written: [submissions left out of it, for want of an id]}, {file name not written: why}).
    """
    out_root = Path(out_root)
    written, not_written = chosen_files(rows, identities, options.files)
    paths = {}
    if "canvas" in written:
        canvas, left_out = canvas_rows(rows, identities, options.assignment, options.ungraded)
        paths[write_csv(canvas, out_root / CANVAS_FILE, CANVAS_FIXED + [options.assignment])] = left_out
    if "moodle" in written:
        moodle, left_out = moodle_rows(rows, identities, options.ungraded)
        paths[write_csv(moodle, out_root / MOODLE_FILE, MOODLE_COLUMNS)] = left_out
    names = {"canvas": CANVAS_FILE, "moodle": MOODLE_FILE}
    for lms in not_written:
        (out_root / names[lms]).unlink(missing_ok=True)
    return paths, {names[lms]: why for lms, why in not_written.items()}
