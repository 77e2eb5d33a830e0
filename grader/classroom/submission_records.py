"""What finding a class's submissions gives (:func:`grader.classroom.submissions.find_submissions`): each
student's :class:`Submission`, the files graded for nobody (:class:`Skipped`), all of it as one
:class:`Found`, and :class:`SubmissionsError` when the submissions cannot be read at all."""
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath


class SubmissionsError(ValueError):
    """The submissions cannot be read at all (no such path, a broken zip or metadata file)."""


@dataclass
class Submission:
    """One student's notebook and who handed it in.

    path: the notebook on disk; relpath: its path below the SUBMISSIONS root (posix).
    key: unique in the class, names ``OUT/<key>/``. student: an id where known, else a name.
    lms_id: Canvas user id / Moodle participant id; sis_id, login: from the roster.
    submitted_at: ISO 8601 text where the download says when; late: True/False.
    """
    path: Path
    relpath: str
    key: str = ""
    student: str = ""
    name: str = ""
    email: str = ""
    sis_id: str = ""
    login: str = ""
    lms_id: str = ""
    section: str = ""
    submitted_at: str = ""
    late: bool = False
    source: str = "folder"          # folder, canvas, moodle, gradescope
    no_notebook: str = ""           # why a submission holds no notebook to grade (a PDF only, a .txt, ...)
    other_files: list = field(default_factory=list)  # [Skipped]: the student's files not graded, and why
    group: list = field(default_factory=list)   # Gradescope group members other than the first: [{name, sid, email}]

    def identity(self):
        """What ``OUT/<key>/submission.json`` records (everything but the path on this machine)."""
        data = asdict(self)
        data.pop("path")
        return data

    def names(self):
        """Every text ONLY= or an override may use for this submission (lower case)."""
        texts = {self.key, self.relpath, PurePosixPath(self.relpath).name, self.student, self.name,
                 self.email, self.sis_id, self.login, self.lms_id}
        return {text.lower() for text in texts if text}


@dataclass
class Skipped:
    """A file that is not graded, and why (of no student: ``Found.skipped``; of one: ``other_files``)."""
    relpath: str
    reason: str


@dataclass
class Found:
    root: Path
    submissions: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    source: str = "folder"
    roster_unmatched: list = field(default_factory=list)   # roster rows with no submission
    files: int = 0          # every file below the root (the grader's own OUT folder as one): each is a
                            # submission's, one of its other_files, or skipped

    def skipped_summary(self, listed=5):
        """Lines: each reason with its count and the first few files."""
        by_reason = {}
        for item in self.skipped:
            by_reason.setdefault(item.reason, []).append(item.relpath)
        lines = []
        for reason, paths in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(paths[:listed]) + (f", ... ({len(paths) - listed} more)" if len(paths) > listed else "")
            lines.append(f"skipped {len(paths)} ({reason}): {shown}")
        return lines
