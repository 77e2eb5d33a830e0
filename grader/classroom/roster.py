"""A class roster (a CSV as Canvas, Moodle or a registrar exports it): who the students are.

:func:`read_roster` reads the rows (names, emails, SIS ids, logins, sections, LMS ids);
:func:`apply_roster` fills in what a download did not say about each submission and keeps
the students of the roster who handed in nothing.
"""
import csv
from pathlib import Path, PurePosixPath

ROSTER_FIELDS = {   # roster column (lower case, any of these) -> Submission field
    "sis_id": ("sis user id", "sis_id", "sid", "student id", "student_id", "id number", "matriculation"),
    "lms_id": ("id", "canvas id", "canvas user id", "lms id", "lms_id", "participant", "moodle participant"),
    "name": ("student", "name", "full name", "student name"),
    "email": ("email", "email address", "e-mail"),
    "login": ("sis login id", "login", "username", "login id"),
    "section": ("section",),
}


class RosterError(ValueError):
    """The roster cannot be read (not a CSV, not UTF-8, no known column)."""


def _text(value):
    return "" if value is None else str(value).strip()


def read_roster(path):
    """Rows of a roster CSV as dicts with the fields of :data:`ROSTER_FIELDS` (missing ones "")."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
            columns = {field_name: next((header[a] for a in aliases if a in header), None)
                       for field_name, aliases in ROSTER_FIELDS.items()}
            if not any(columns.values()):
                raise RosterError(f"{path}: no roster column found (expected some of: "
                                  + ", ".join(a for aliases in ROSTER_FIELDS.values() for a in aliases) + ")")
            rows = [{f: _text(row.get(c)) if c else "" for f, c in columns.items()} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"{path}: not a readable roster CSV ({type(error).__name__})") from None
    return [row for row in rows if any(row.values()) and not row["name"].strip().lower() == "points possible"]


def apply_roster(found, roster):
    """Fill what the download did not say from the roster row that matches each submission
    (by LMS id, SIS id, email, login, or the notebook's stem); rows matching none are kept
    in ``found.roster_unmatched``."""
    used = set()
    for submission in found.submissions:
        for index, row in enumerate(roster):
            if _roster_matches(submission, row):
                used.add(index)
                for field_name in ROSTER_FIELDS:
                    if row[field_name] and not getattr(submission, field_name):
                        setattr(submission, field_name, row[field_name])
                if row["name"] and submission.source in ("canvas", "folder"):
                    submission.name = row["name"]        # the download's name is a login-like squash
                if row["sis_id"]:
                    submission.student = row["sis_id"]
                break
    found.roster_unmatched = [row for index, row in enumerate(roster) if index not in used]


def _roster_matches(submission, row):
    pairs = ((submission.lms_id, row["lms_id"]), (submission.sis_id, row["sis_id"]),
             (submission.email.lower(), row["email"].lower()), (submission.login, row["login"]),
             (PurePosixPath(submission.relpath).stem, row["sis_id"]),
             (PurePosixPath(submission.relpath).stem, row["login"]))
    return any(a and b and a == b for a, b in pairs)
