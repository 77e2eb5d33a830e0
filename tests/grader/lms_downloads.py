"""Class downloads as the LMSs lay them out, made by script for tests/grader/classroom/test_lms*.py.

Each student is a :class:`Student`; each notebook is :func:`batch_fakes.fake_notebook`,
so the stand-in grader gives that student ``points + 25`` (the test knows each
student's score without a real grading). The layouts:

* :func:`canvas_download`: ``<login>[_LATE]_<user id>_<attachment id>_week6_backprop.ipynb``;
* :func:`gradescope_export`: ``submission_<id>/week6_backprop.ipynb`` and
  ``submission_metadata.yml`` with Ruby-symbol keys, as Gradescope writes it (a late
  student hands in after :data:`DUE`);
* :func:`moodle_download`: ``<Full Name>_<participant>_assignsubmission_file_week6_backprop.ipynb``;
* :func:`sections_folder`: ``section-a/<name>.ipynb`` and ``section-b/<name>.ipynb`` with the same names.
"""
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.grader.batch_fakes import fake_notebook

TEMPLATE_NAME = "week6_backprop.ipynb"
DUE = "2026-12-01T23:59:00+01:00"


@dataclass
class Student:
    name: str
    sid: str
    points: int
    late: bool = False
    email: str = ""

    @property
    def login(self):
        """Canvas's squashed sortable name: "Jane Doe" -> "doejane"."""
        first, _, last = self.name.partition(" ")
        return (last + first).lower()

    @property
    def score(self):
        return self.points + 25


CLASS = [Student("Jane Doe", "23456", 4, late=True, email="jane@uni.example"),
         Student("John Smith", "12345", 2, email="john@uni.example"),
         Student("Ada Lovelace", "34567", 5, email="ada@uni.example")]


def canvas_download(directory, students=CLASS):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for index, student in enumerate(students):
        late = "_LATE" if student.late else ""
        name = f"{student.login}{late}_{student.sid}_{70000 + index}_{TEMPLATE_NAME}"
        (directory / name).write_text(fake_notebook(student.points), encoding="utf-8")
    return directory


def gradescope_export(directory, students=CLASS, group=()):
    """One folder per student (and one for ``group``, submitted together), plus the metadata."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    entries = [[student] for student in students] + ([list(group)] if group else [])
    for index, members in enumerate(entries):
        folder = f"submission_{9000 + index}"
        (directory / folder).mkdir()
        (directory / folder / TEMPLATE_NAME).write_text(fake_notebook(members[0].points), encoding="utf-8")
        lines += [f"{folder}:", "  :submitters:"]
        for member in members:
            lines += [f"  - :name: {member.name}", f"    :sid: '{member.sid}'", f"    :email: {member.email}"]
        when = "2026-12-02 00:10:00.123456000 +01:00" if members[0].late else "2026-12-01 23:10:00.123456000 +01:00"
        lines += [f"  :created_at: {when}", "  :score: 0.0", "  :status: processed"]
    (directory / "submission_metadata.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def moodle_download(directory, students=CLASS):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for student in students:
        name = f"{student.name}_{student.sid}_assignsubmission_file_{TEMPLATE_NAME}"
        (directory / name).write_text(fake_notebook(student.points), encoding="utf-8")
    return directory


def sections_folder(directory, points_a=(1, 3), points_b=(4, 0)):
    """section-a/{alice,bob}.ipynb and section-b/{alice,bob}.ipynb: the same names, other students."""
    directory = Path(directory)
    for section, points in (("section-a", points_a), ("section-b", points_b)):
        (directory / section).mkdir(parents=True)
        for name, p in zip(("alice", "bob"), points):
            (directory / section / f"{name}.ipynb").write_text(fake_notebook(p), encoding="utf-8")
    return directory


def zipped(directory, path):
    """``directory`` as a zip at ``path``, inside one top folder (as downloads usually are)."""
    directory, path = Path(directory), Path(path)
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(directory.rglob("*")):
            if file.is_file():
                archive.write(file, f"{directory.name}/{file.relative_to(directory).as_posix()}")
    return path
