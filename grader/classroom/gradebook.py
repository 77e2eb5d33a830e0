"""The class's gradebook.csv: one row per submission, read from each ``OUT/<key>/``.

The contract's columns come first (:data:`CONTRACT_COLUMNS`); the others follow
in :data:`GRADEBOOK_COLUMNS`, the one list of columns: a stage that adds a column
(e.g. a ``flags`` column) appends its name there and fills it in the rows.

A row comes from the submission's ``results.json`` (overrides already applied,
see :mod:`grader.classroom.overrides`), its ``.grade-key`` and ``submission.json`` (who handed
it in: :class:`grader.classroom.submission_records.Submission`). ``similar_to`` is filled by the
batch from :mod:`grader.classroom.similarity`.
"""
import csv
import json
from pathlib import Path

from assignment import EXERCISE_IDS
from grader.reports.text import one_line, replacing

GRADEBOOK = "gradebook.csv"              # in OUT: the class's gradebook
KEY_FILE = ".grade-key"
IDENTITY_FILE = "submission.json"
CONTRACT_COLUMNS = ["submission", "score", *EXERCISE_IDS, "status"]
IDENTITY_COLUMNS = ["student", "name", "email", "section", "late", "submitted_at"]
GRADEBOOK_COLUMNS = (CONTRACT_COLUMNS + IDENTITY_COLUMNS
                     + ["similar_to", "adjustments", "key"]
                     + ["execution_time", "seed", "tests_failed", "tests_total",
                        "grader_version", "grader_fingerprint", "message", "flags", "other_files"])
TIMING_COLUMNS = ("execution_time",)     # differ from run to run; everything else is reproducible
LIST_SEPARATOR = "; "                    # between the names of similar_to, other_files
MAX_OTHER_FILES = 20                     # listed in a row's other_files (then "... N more")


def _number(value):
    try:
        return format(round(float(value), 4), "g")
    except (TypeError, ValueError, OverflowError):
        return "0"


def _why(results):
    """Why grading stopped: results.json's ``extra_data.message`` (plain text; its output is Markdown),
    else the line of its output that says so (or its first line)."""
    message = (results.get("extra_data") or {}).get("message") if isinstance(results.get("extra_data"), dict) else None
    if isinstance(message, str) and message.strip():
        return message.strip()
    lines = [line.strip() for line in str(results.get("output", "")).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Grading stopped early:"):
            return line.split(":", 1)[1].strip()
    return lines[0] if lines else ""


def read_json(path):
    """A JSON object from ``path``, or None when it is missing or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_key(result_dir):
    return read_json(Path(result_dir) / KEY_FILE)


def read_identity(result_dir):
    """The ``submission.json`` the batch wrote beside the results ({} when there is none)."""
    return read_json(Path(result_dir) / IDENTITY_FILE) or {}


def empty_row(submission, status, message, identity=None):
    """A row for a submission without results: score 0, ``status`` and why."""
    row = {column: "" for column in GRADEBOOK_COLUMNS}
    row.update({"submission": submission, "score": "0", **{number: "0" for number in EXERCISE_IDS},
                "status": status, "tests_failed": "0", "tests_total": "0", "message": message})
    row.update(_identity_cells(identity or {}))
    return row


def _identity_cells(identity):
    cells = {column: str(identity.get(column, "") or "") for column in IDENTITY_COLUMNS}
    cells["late"] = "true" if identity.get("late") else "false"
    cells["key"] = str(identity.get("key", "") or "")
    cells["other_files"] = other_files_cell(identity.get("other_files"))
    return cells


def other_files(identity: dict) -> list[tuple[str, str]]:
    """[(file, why it was not graded)] of the student's other files (``submission.json``'s ``other_files``)."""
    items = identity.get("other_files") if isinstance(identity.get("other_files"), list) else []
    return [(one_line(item.get("relpath", ""), 200), one_line(item.get("reason", ""), 200))
            for item in items if isinstance(item, dict)]


def other_files_cell(items) -> str:
    """The gradebook's ``other_files``: "file (why); file (why)", at most :data:`MAX_OTHER_FILES`."""
    listed = other_files({"other_files": items})
    text = LIST_SEPARATOR.join(f"{name} ({why})" for name, why in listed[:MAX_OTHER_FILES])
    return text + (f"{LIST_SEPARATOR}... {len(listed) - MAX_OTHER_FILES} more" if len(listed) > MAX_OTHER_FILES else "")


def gradebook_row(name, result_dir):
    """One gradebook row for the submission ``name`` from its ``result_dir``."""
    identity = read_identity(result_dir)
    results = read_json(Path(result_dir) / "results.json")
    if results is None:
        row = empty_row(name, "grader_error", "no readable results.json", identity)
        row["key"] = row["key"] or Path(result_dir).name
        return row
    row = {column: "" for column in GRADEBOOK_COLUMNS}
    row["submission"] = name
    extra = results.get("extra_data") if isinstance(results.get("extra_data"), dict) else {}
    tests = [t for t in results.get("tests", []) if isinstance(t, dict)]
    scores = extra.get("exercise_scores") if isinstance(extra.get("exercise_scores"), dict) else {}
    if not scores:
        scores = {}
        for test in tests:
            scores[test.get("number")] = scores.get(test.get("number"), 0.0) + float(test.get("score", 0) or 0)
    status = one_line(extra.get("status", "graded") or "graded", 40)
    key = read_key(result_dir) or {}
    adjustments = [a for a in extra.get("manual_adjustments") or [] if isinstance(a, dict)]
    row.update({
        "score": _number(results.get("score", 0)),
        **{number: _number(scores.get(number, 0)) for number in EXERCISE_IDS},
        "status": status,
        **_identity_cells(identity),
        "adjustments": _number(sum(float(a.get("applied", 0) or 0) for a in adjustments)) if adjustments else "",
        "execution_time": _number(results.get("execution_time", 0)),
        "seed": str(extra.get("seed", "")),
        "tests_failed": str(sum(1 for t in tests if t.get("status") != "passed")),
        "tests_total": str(len(tests)),
        "grader_version": one_line(extra.get("grader_version", ""), 40),
        "grader_fingerprint": str(key.get("grader_fingerprint", ""))[:16],
        "message": "" if status == "graded" else one_line(_why(results), 300),
        "flags": LIST_SEPARATOR.join(one_line(flag, 60) for flag in extra.get("flags", [])[:10] if isinstance(flag, str))
        if isinstance(extra.get("flags"), list) else "",
    })
    row["key"] = row["key"] or Path(result_dir).name
    return row


def csv_cell(value):
    """Text as a spreadsheet shows it, never as a formula (a file name may start with '=')."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def write_csv(rows, path, columns):
    """Write dict rows to ``path`` as CSV with ``columns`` (cells via :func:`csv_cell`), atomically."""
    path = Path(path)
    with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: csv_cell(row.get(column, "")) for column in columns})
    return path


def write_gradebook(rows, path):
    """Write the rows to ``path`` as CSV (columns :data:`GRADEBOOK_COLUMNS`), atomically."""
    return write_csv(rows, path, GRADEBOOK_COLUMNS)


def read_gradebook(path):
    """The rows of a gradebook.csv as dicts (values as written)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
