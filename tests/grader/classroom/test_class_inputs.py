"""Nobody vanishes from a class, and the LMS files hold what can be imported (issue 20, Deliver 4 and 7).

Downloads are made by tests/grader/lms_downloads.py; the grading is the stand-in
:func:`batch_fakes.fake_grade` (each notebook says its points), as what is tested is who gets which
row and which file, not the grading.
"""
import csv
import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from grader.classroom.batch import BatchOptions, grade_batch
from grader.classroom.gradebook import CONTRACT_COLUMNS, read_gradebook
from grader.classroom.lms_export import LmsOptions
from grader.classroom.submissions import Submission, find_submissions, newest_first
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fake_notebook
from tests.grader.lms_downloads import CLASS, Student, canvas_download, gradescope_export, moodle_download, zipped

ROOT = Path(__file__).resolve().parents[3]
LATE_COMER = Student("Dan Four", "45678", 1)     # four notebooks: the CLASS and Dan
NO_NOTEBOOK = "eveeve_56789_70100_notes.txt"      # Eve handed in a .txt only
OLDER = "fourdan_45678_70003_week6_backprop.ipynb"
NEWER = "fourdan_45678_70110_week6_backprop-1.ipynb"


def batch(submissions, out, **kwargs):
    return grade_batch(submissions, out, BatchOptions(config=GraderConfig(figures=False), progress=False, jobs=1,
                                    grade_function=fake_grade, fingerprint="test-fingerprint", **kwargs))


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def canvas_class(directory):
    """CLASS and Dan (an older upload and a resubmission, Canvas's -1), Eve's .txt and a README of no one."""
    canvas = canvas_download(directory, CLASS + [LATE_COMER])
    (canvas / f"fourdan_45678_70003_week6_backprop.ipynb").rename(canvas / OLDER)
    (canvas / NEWER).write_text(fake_notebook(5), encoding="utf-8")     # the resubmission scores 30
    (canvas / NO_NOTEBOOK).write_text("I could not make it work", encoding="utf-8")
    (canvas / "README.txt").write_text("downloaded from Canvas", encoding="utf-8")
    return canvas


def test_a_canvas_zip_with_a_txt_a_resubmission_and_four_notebooks_gives_five_students(tmp_path):
    archive = zipped(canvas_class(tmp_path / "canvas"), tmp_path / "canvas.zip")
    result = batch(archive, tmp_path / "out")
    out = tmp_path / "out"
    rows = {row["student"]: row for row in read_gradebook(out / "gradebook.csv")}
    assert sorted(rows) == sorted([s.sid for s in CLASS] + ["45678", "56789"])
    header = csv_rows(out / "gradebook.csv")[0]
    assert header[:len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS and "other_files" in header
    dan, eve = rows["45678"], rows["56789"]
    assert dan["submission"].endswith(NEWER) and float(dan["score"]) == 30     # the newest upload is graded
    assert dan["other_files"] == f"canvas/{OLDER} (an older upload: the newest, {NEWER}, was graded)"
    assert (eve["status"], eve["score"]) == ("no_notebook", "0") and "notes.txt" in eve["message"]
    assert [(s.relpath, s.reason) for s in result.skipped] == [("canvas/README.txt", "not a notebook")]
    assert "7 input files: 4 notebooks graded, 1 file of a student with no notebook, 1 other file listed with " \
           "its student (not graded), 1 skipped: not a notebook" in result.summary()

    canvas = {line[1]: line[-1] for line in csv_rows(out / "canvas_grades.csv")[2:]}
    assert sorted(canvas) == sorted(rows)
    assert canvas["56789"] == "" and float(canvas["45678"]) == 30       # nothing gradable: blank by default

    page = (out / "class_report.html").read_text(encoding="utf-8")
    matrix = page.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    assert matrix.count('<td class="name"') == 5
    assert "7 input files" in page and OLDER in page and "notes.txt" in page and "README.txt" in page
    md = (out / "class_report.md").read_text(encoding="utf-8")
    matrix_md = md.split("## The class at a glance", 1)[1].split("##", 1)[0]
    assert len(re.findall(r"^\| \[", matrix_md, re.M)) == 5                 # one row each, linking to feedback
    assert re.search(r"^\| \[eveeve\]\(56789/feedback.html\) .*\| no\\_notebook \| No Jupyter notebook", matrix_md, re.M)


def test_nothing_gradable_can_be_0_in_the_lms_files_when_the_instructor_says_so(tmp_path):
    batch(canvas_class(tmp_path / "canvas"), tmp_path / "out", assignment=LmsOptions(ungraded="zero"))
    canvas = {line[1]: line[-1] for line in csv_rows(tmp_path / "out" / "canvas_grades.csv")[2:]}
    assert canvas["56789"] == "0"


def _upload(relpath, source="canvas", submitted_at=""):
    return Submission(path=Path(relpath), relpath=relpath, source=source, submitted_at=submitted_at)


def test_the_newest_upload_by_lms_time_else_by_canvas_suffix_else_attachment():
    by_suffix = [_upload("a_1_900_week6_backprop.ipynb"), _upload("a_1_100_week6_backprop-2.ipynb"),
                 _upload("a_1_500_week6_backprop-1.ipynb")]
    assert [s.relpath for s in newest_first(by_suffix)][0] == "a_1_100_week6_backprop-2.ipynb"
    by_attachment = [_upload("a_1_100_week6_backprop.ipynb"), _upload("a_1_300_week6_backprop.ipynb")]
    assert newest_first(by_attachment)[0].relpath == "a_1_300_week6_backprop.ipynb"
    by_time = [_upload("a_1_100_week6_backprop-3.ipynb", submitted_at="2026-12-01T10:00:00+00:00"),
               _upload("a_1_200_week6_backprop.ipynb", submitted_at="2026-12-01T11:00:00+00:00")]
    assert newest_first(by_time)[0].relpath == "a_1_200_week6_backprop.ipynb"
    named = [_upload("a_1_100_week6_backprop.ipynb"), _upload("a_1_900_scratch-4.ipynb")]
    assert newest_first(named)[0].relpath == "a_1_100_week6_backprop.ipynb"   # the assignment's notebook first


def test_a_moodle_student_folder_with_only_a_pdf_is_a_student_without_notebook(tmp_path):
    moodle = moodle_download(tmp_path / "moodle")
    folder = moodle / "Eve Five_56789_assignsubmission_file_"
    folder.mkdir()
    (folder / "answers.pdf").write_bytes(b"%PDF")
    found = find_submissions(moodle)
    eve = next(s for s in found.submissions if s.lms_id == "56789")
    assert (eve.name, eve.relpath, found.skipped) == ("Eve Five", "Eve Five_56789_assignsubmission_file_/answers.pdf", [])
    assert "answers.pdf" in eve.no_notebook and found.files == len(CLASS) + 1


def test_a_canvas_class_gets_no_moodle_file_unless_asked(tmp_path):
    out = tmp_path / "out"
    (out).mkdir()
    (out / "moodle_grades.csv").write_text("an earlier run's\n", encoding="utf-8")
    result = batch(canvas_download(tmp_path / "canvas"), out)
    assert [p.name for p in result.lms_files] == ["canvas_grades.csv"] and not (out / "moodle_grades.csv").exists()
    assert "moodle_grades.csv not written: a Canvas download" in result.summary()
    asked = batch(canvas_download(tmp_path / "canvas"), out, assignment=LmsOptions(files=("canvas", "moodle")))
    assert sorted(p.name for p in asked.lms_files) == ["canvas_grades.csv", "moodle_grades.csv"]
    export = batch(gradescope_export(tmp_path / "export"), tmp_path / "gradescope")    # sids and emails: both
    assert sorted(p.name for p in export.lms_files) == ["canvas_grades.csv", "moodle_grades.csv"]


def test_the_canvas_column_is_named_from_the_command_line_and_make(tmp_path, monkeypatch, capsys):
    import grader.classroom.batch
    from grader.cli import main

    canvas = canvas_download(tmp_path / "canvas")
    with pytest.raises(SystemExit) as stop:
        main(["grade-batch", str(canvas), "--lms", "blackboard"])
    assert stop.value.code == 2 and "unknown LMS blackboard" in capsys.readouterr().err
    seen, real = {}, grader.classroom.batch.grade_batch

    def stand_in(submissions, out, options):       # the command line's options, graded by the stand-in grader
        seen.update(vars(options))
        return real(submissions, out, dataclasses.replace(options, grade_function=fake_grade,
                                                          fingerprint="test-fingerprint", jobs=1))
    monkeypatch.setattr(grader.classroom.batch, "grade_batch", stand_in)
    assert main(["grade-batch", str(canvas), "--out", str(tmp_path / "out"), "--quiet",
                 "--assignment", "Week 6 (1234)", "--ungraded", "zero", "--lms", "canvas"]) == 0
    assert seen["assignment"] == LmsOptions("Week 6 (1234)", ("canvas",), "zero")
    assert csv_rows(tmp_path / "out" / "canvas_grades.csv")[0][-1] == "Week 6 (1234)"
    made = subprocess.run(["make", "-n", "--no-print-directory", "grade", f"SUBMISSIONS={canvas}",
                           "ASSIGNMENT=Week 6 (1234)", "LMS=canvas", "UNGRADED=zero"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    line = next(line for line in made.stdout.replace("\\\n", " ").splitlines() if "grade-batch" in line)
    assert '--assignment "Week 6 (1234)"' in line and '--lms "canvas"' in line and '--ungraded "zero"' in line
