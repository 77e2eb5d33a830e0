"""Every file of a class's input, accounted for: the terminal's summary and the class report count them.

A file handed in is one of four things (:func:`account`): a notebook graded (one per student);
the file of a student who handed in no notebook (their submission, status ``no_notebook``); another
file of a student, listed with them and not graded (an older upload, a ``.txt``); a file of no student,
skipped with its reason (a README beside the downloads, a checkpoint). The four add up to the number
of files found (:attr:`grader.classroom.submission_records.Found.files`); the report says so, or says what is
not accounted for.
"""
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.classroom.gradebook import other_files, read_identity

NO_NOTEBOOK = "no_notebook"


@dataclass
class InputAccount:
    """How the input files went. files: as found (None when not known: merged shards, one shard)."""
    files: int | None
    graded: int = 0             # notebooks graded (or tried: unreadable, timeout, ... count here too)
    no_notebook: int = 0        # files of the students who handed in no notebook
    listed: int = 0             # other files of students, listed with them
    skipped: Counter = field(default_factory=Counter)   # reason -> files of no student
    missing: int = 0            # submissions of a shard that was not merged

    @property
    def counted(self) -> int:
        return self.graded + self.no_notebook + self.listed + sum(self.skipped.values())

    def parts(self) -> list[str]:
        """The non-empty parts, in words: ["4 notebooks graded", ...]."""
        words = [(self.graded, "notebook graded", "notebooks graded"),
                 (self.no_notebook, "file of a student with no notebook", "files of students with no notebook"),
                 (self.listed, "other file listed with its student (not graded)",
                  "other files listed with their students (not graded)"),
                 *((count, f"skipped: {reason}", f"skipped: {reason}") for reason, count in sorted(self.skipped.items())),
                 (self.missing, "submission of a shard not merged", "submissions of shards not merged")]
        return [f"{count} {one if count == 1 else many}" for count, one, many in words if count]

    def line(self) -> str:
        """One line: "7 input files: 4 notebooks graded, ..." (and what is not accounted for, if anything)."""
        if self.files is None:
            return "Input files: " + (", ".join(self.parts()) or "none")
        text = f"{self.files} input file{'s' if self.files != 1 else ''}: " + (", ".join(self.parts()) or "none")
        if self.counted != self.files:
            text += f" ({self.files - self.counted:+d} not accounted for: a grader bug, please report it)"
        return text


def account(rows, identities, files, skipped) -> InputAccount:
    """The :class:`InputAccount` of gradebook ``rows`` ({key: submission.json} in ``identities``) and the
    ``skipped`` files of no student (:class:`grader.classroom.submission_records.Skipped`)."""
    result = InputAccount(files=files, skipped=Counter(item.reason for item in skipped))
    for row in rows:
        if row.get("status") == "missing":
            result.missing += 1
            continue
        is_file = not str(row.get("submission", "")).endswith("/")      # a Gradescope submission is a folder
        listed = len(other_files(identities.get(row.get("key", ""), {})))
        if row.get("status") == NO_NOTEBOOK:
            result.no_notebook += int(is_file) + listed
        else:
            result.graded += 1
            result.listed += listed
    return result


def identities_of(out_root, rows) -> dict:
    """{key: the submission.json beside its results} for the gradebook ``rows``."""
    return {row["key"]: read_identity(Path(out_root) / row["key"]) for row in rows if row.get("key")}


def input_summary(files, rows, skipped, out_root) -> str:
    """:meth:`InputAccount.line` for a run's rows (identities read from ``out_root/<key>/``)."""
    return account(rows, identities_of(out_root, rows), files, skipped).line()
