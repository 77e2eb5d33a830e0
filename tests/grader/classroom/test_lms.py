"""A class as the LMS hands it over, and the grades handed back (issue 13).

Downloads are made by tests/grader/lms_downloads.py; the grading itself is the
stand-in :func:`batch_fakes.fake_grade` (each student's notebook says its points),
as what is tested here is who gets which row, not the grading.
"""
import csv
import json
import zipfile

import pytest

from grader.classroom.batch import BatchOptions, grade_batch
from grader.classroom.outputs import BatchError
from grader.classroom.shards import merge_shards
from grader.classroom.gradebook import CONTRACT_COLUMNS, read_gradebook
from grader.classroom.lms_export import DEFAULT_ASSIGNMENT
from grader.classroom.submissions import find_submissions
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fake_notebook
from tests.grader.lms_downloads import (CLASS, DUE, Student, canvas_download, gradescope_export, moodle_download,
                                        sections_folder, zipped)


def batch(submissions, out, **kwargs):
    kwargs.setdefault("jobs", 1)        # the stand-in grader is quick: one worker costs the machine least
    return grade_batch(submissions, out, BatchOptions(config=GraderConfig(figures=False), progress=False,
                                    grade_function=fake_grade, fingerprint="test-fingerprint", **kwargs))


def rows_of(out):
    return read_gradebook(out / "gradebook.csv")


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# ------------------------------------------------------------------- downloads

def test_canvas_download_gives_each_student_a_row_with_id_late_flag_and_score(tmp_path):
    result = batch(canvas_download(tmp_path / "canvas"), tmp_path / "out")
    assert result.source == "canvas"
    rows = {row["student"]: row for row in rows_of(tmp_path / "out")}
    assert sorted(rows) == sorted(s.sid for s in CLASS)
    for student in CLASS:
        row = rows[student.sid]
        assert float(row["score"]) == student.score
        assert row["late"] == ("true" if student.late else "false")
        assert row["status"] == "graded" and row["name"] == student.login
        assert (tmp_path / "out" / row["key"] / "results.json").is_file()
    header = next(csv.reader(open(tmp_path / "out" / "gradebook.csv", newline="")))
    assert header[:len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert {"student", "late", "similar_to"} <= set(header)


def test_a_canvas_student_with_two_notebooks_gets_one_row_from_the_template_named_one(tmp_path):
    canvas = canvas_download(tmp_path / "canvas")
    (canvas / "smithjohn_12345_70009_scratch.ipynb").write_text(fake_notebook(0), encoding="utf-8")
    result = batch(canvas, tmp_path / "out")
    john = [row for row in result.rows if row["student"] == "12345"]
    assert len(john) == 1 and float(john[0]["score"]) == 27 and "week6_backprop" in john[0]["submission"]
    assert result.skipped == []                     # the scratch notebook is John's: listed with him
    assert john[0]["other_files"] == ("smithjohn_12345_70009_scratch.ipynb "
                                      "(another notebook: smithjohn_12345_70001_week6_backprop.ipynb was graded)")


def test_canvas_csv_has_the_documented_header_points_possible_and_ids(tmp_path):
    batch(canvas_download(tmp_path / "canvas"), tmp_path / "out")
    lines = csv_rows(tmp_path / "out" / "canvas_grades.csv")
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", DEFAULT_ASSIGNMENT]
    assert lines[1][0] == "Points Possible" and lines[1][-1] == "100"
    by_id = {line[1]: line for line in lines[2:]}
    assert {sid: float(line[-1]) for sid, line in by_id.items()} == {s.sid: s.score for s in CLASS}


def test_roster_fills_names_sis_ids_and_sections_and_names_who_handed_in_nothing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      + "".join(f'"{s.name}",{s.sid},S{s.sid},{s.login}@uni,Lab 1\n' for s in CLASS)
                      + '"Absent Student",99999,S99999,absent@uni,Lab 1\n', encoding="utf-8")
    result = batch(canvas_download(tmp_path / "canvas"), tmp_path / "out", roster=roster)
    rows = {row["name"]: row for row in rows_of(tmp_path / "out")}
    assert sorted(rows) == sorted(s.name for s in CLASS)
    assert all(rows[s.name]["student"] == f"S{s.sid}" and rows[s.name]["section"] == "Lab 1" for s in CLASS)
    canvas = {line[2]: line for line in csv_rows(tmp_path / "out" / "canvas_grades.csv")[2:]}
    assert canvas["S12345"][:5] == ["John Smith", "12345", "S12345", "smithjohn@uni", "Lab 1"]
    assert any("Absent Student" in note for note in result.notes)


def test_gradescope_export_reads_submitters_time_and_late_from_its_metadata(tmp_path):
    pair = (Student("Pat One", "50001", 3, email="pat@uni.example"), Student("Sam Two", "50002", 3))
    export = gradescope_export(tmp_path / "export", group=pair)
    (export / "submission_9100").mkdir()                     # in no metadata entry
    (export / "submission_9100" / "week6_backprop.ipynb").write_text(fake_notebook(1), encoding="utf-8")
    result = batch(zipped(export, tmp_path / "export.zip"), tmp_path / "out", due=DUE)
    assert result.source == "gradescope"
    rows = {row["student"]: row for row in rows_of(tmp_path / "out")}
    assert sorted(rows) == sorted([s.sid for s in CLASS] + ["50001"])
    for student in CLASS:
        assert rows[student.sid]["name"] == student.name and rows[student.sid]["email"] == student.email
        assert float(rows[student.sid]["score"]) == student.score
        assert rows[student.sid]["late"] == ("true" if student.late else "false")
        assert rows[student.sid]["submitted_at"].startswith("2026-12-0")
    identity = json.loads((tmp_path / "out" / rows["50001"]["key"] / "submission.json").read_text())
    assert [member["sid"] for member in identity["group"]] == ["50002"]
    assert [(s.relpath, s.reason) for s in result.skipped] == [
        ("submission_9100/week6_backprop.ipynb", "not in submission_metadata.yml")]
    assert "not in submission_metadata.yml" in result.summary()


def test_gradescope_submission_without_a_notebook_gets_a_row_saying_what_it_held(tmp_path):
    export = gradescope_export(tmp_path / "export")
    (export / "submission_9001" / "week6_backprop.ipynb").unlink()
    (export / "submission_9001" / "answers.pdf").write_bytes(b"%PDF")
    found = find_submissions(export)
    assert found.skipped == [] and found.files == len(CLASS)
    pdf_only = next(s for s in found.submissions if s.relpath == "submission_9001/")
    assert [(s.relpath, s.reason) for s in pdf_only.other_files] == [("submission_9001/answers.pdf", "not a notebook")]
    result = batch(export, tmp_path / "out")
    rows = {row["student"]: row for row in result.rows}
    assert len(rows) == len(CLASS)
    pdf_only = rows[CLASS[1].sid]
    assert (pdf_only["status"], pdf_only["score"], pdf_only["name"]) == ("no_notebook", "0", CLASS[1].name)
    assert "answers.pdf" in pdf_only["message"]
    assert float(rows[CLASS[0].sid]["score"]) == CLASS[0].score
    again = batch(export, tmp_path / "out")
    assert again.graded == [] and [r["status"] for r in again.rows] == [r["status"] for r in result.rows]


def test_moodle_download_gives_participant_ids_for_its_grading_worksheet(tmp_path):
    batch(moodle_download(tmp_path / "moodle"), tmp_path / "out")
    rows = {row["name"]: row for row in rows_of(tmp_path / "out")}
    assert sorted(rows) == sorted(s.name for s in CLASS)
    lines = csv_rows(tmp_path / "out" / "moodle_grades.csv")
    assert lines[0][:6] == ["Identifier", "Full name", "Email address", "ID number", "Grade", "Maximum Grade"]
    worksheet = {line[0]: float(line[4]) for line in lines[1:]}
    assert worksheet == {f"Participant {s.sid}": s.score for s in CLASS}


def test_moodle_download_in_folders_reads_the_folder_names(tmp_path):
    for student in CLASS:
        folder = tmp_path / "moodle" / f"{student.name}_{student.sid}_assignsubmission_file_"
        folder.mkdir(parents=True)
        (folder / "my notebook.ipynb").write_text(fake_notebook(student.points), encoding="utf-8")
    found = find_submissions(tmp_path / "moodle")
    assert found.source == "moodle"
    assert sorted((s.name, s.lms_id, s.key) for s in found.submissions) == sorted(
        (s.name, s.sid, s.sid) for s in CLASS)


def test_a_roster_without_any_known_column_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(BatchError, match="no roster column found"):
        batch(canvas_download(tmp_path / "canvas"), tmp_path / "out", roster=roster)


def test_two_sections_with_the_same_file_names_get_four_rows_and_four_folders(tmp_path):
    directory = sections_folder(tmp_path / "class")
    (directory / "section-b" / "carl.IPYNB").write_text(fake_notebook(2), encoding="utf-8")
    (directory / "section-a" / ".ipynb_checkpoints").mkdir()
    (directory / "section-a" / ".ipynb_checkpoints" / "alice-checkpoint.ipynb").write_text("{}", encoding="utf-8")
    result = batch(directory, tmp_path / "out")
    rows = {row["submission"]: row for row in rows_of(tmp_path / "out")}
    expected = {"section-a/alice.ipynb": 1, "section-a/bob.ipynb": 3, "section-b/alice.ipynb": 4,
                "section-b/bob.ipynb": 0, "section-b/carl.IPYNB": 2}
    assert {name: float(row["score"]) - 25 for name, row in rows.items()} == expected
    assert len({row["key"] for row in rows.values()}) == 5
    for name, row in rows.items():
        results = json.loads((tmp_path / "out" / row["key"] / "results.json").read_text())
        assert results["score"] == expected[name] + 25
    assert rows["section-a/alice.ipynb"]["section"] == "section-a"
    assert result.lms_files == ()                                  # no LMS ids in a plain folder: no LMS file
    assert any(note.startswith("canvas_grades.csv not written: no submission carries a Canvas identifier")
               and "ROSTER=" in note for note in result.notes)
    assert [(s.relpath, s.reason) for s in result.skipped] == [
        ("section-a/.ipynb_checkpoints/alice-checkpoint.ipynb", "hidden file or checkpoint")]


def test_an_out_folder_inside_the_class_is_not_graded_as_submissions(tmp_path):
    directory = sections_folder(tmp_path / "class")
    first = batch(directory, directory / "results")
    again = batch(directory, directory / "results")
    assert len(again.rows) == len(first.rows) == 4 and again.graded == []
    assert ("results/", "the grader's output folder") in [(s.relpath, s.reason) for s in again.skipped]


def test_no_notebook_at_all_is_an_error_that_lists_what_was_there(tmp_path, capsys):
    from grader.cli import main

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no notebook here", encoding="utf-8")
    with pytest.raises(BatchError, match="no notebook.*not a notebook.*notes.txt"):
        batch(empty, tmp_path / "out")
    assert main(["grade-batch", str(empty), "--out", str(tmp_path / "out2"), "--quiet"]) == 2
    assert "no notebook" in capsys.readouterr().err


def test_a_zip_never_writes_outside_its_folder(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipf:
        zipf.writestr("class/ann.ipynb", fake_notebook(5))
        zipf.writestr("../escaped.ipynb", fake_notebook(5))
        zipf.writestr("/abs/escaped.ipynb", fake_notebook(5))
    result = batch(archive, tmp_path / "out")
    assert [row["submission"] for row in result.rows] == ["class/ann.ipynb"]
    assert not list(tmp_path.rglob("escaped.ipynb"))


# ------------------------------------------------------------------- single grading

def test_single_grading_of_two_notebooks_with_one_name_keeps_both(tmp_path, capsys):
    """Unreadable notebooks: graded (status unreadable) without a kernel, so this stays fast."""
    from grader.cli import main

    for folder, text in (("a", "not JSON {"), ("b", "not JSON either {")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.ipynb").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "a" / "x.ipynb"), "--out", str(out), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["results"] == str(out / "x" / "results.json") and first["status"] == "unreadable"
    assert main(["grade", str(tmp_path / "b" / "x.ipynb"), "--out", str(out)]) == 0
    assert "this one goes to" in capsys.readouterr().err
    sources = {d.name: json.loads((d / ".source.json").read_text())["path"] for d in out.iterdir()}
    assert sources == {"x": str(tmp_path / "a" / "x.ipynb"), "x~2": str(tmp_path / "b" / "x.ipynb")}
    assert main(["grade", str(tmp_path / "a" / "x.ipynb"), "--out", str(out)]) == 0   # the same one again
    assert sorted(d.name for d in out.iterdir()) == ["x", "x~2"]


# ----------------------------------------------------------------------- overrides

def _overrides(path, lines):
    path.write_text("submission,exercise,points,reason\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_an_override_is_applied_once_on_every_run_and_shows_in_results_and_feedback(tmp_path):
    canvas = canvas_download(tmp_path / "canvas")
    overrides = _overrides(tmp_path / "overrides.csv", ['12345,1a,2,"regraded by hand: <b>right</b> idea"',
                                                         "doejane,total,-10,late penalty"])
    out = tmp_path / "out"

    def check():
        rows = {row["student"]: row for row in rows_of(out)}
        john, jane = rows["12345"], rows["23456"]
        assert float(john["score"]) == 2 + 2 + 25 and float(john["1a"]) == 4 and john["adjustments"] == "2"
        assert float(jane["score"]) == 4 + 25 - 10 and jane["adjustments"] == "-10"
        results = json.loads((out / john["key"] / "results.json").read_text())
        assert results["score"] == 29 and results["extra_data"]["exercise_scores"]["1a"] == 4
        assert results["extra_data"]["manual_adjustments"][0]["reason"].startswith("regraded by hand")
        assert "- exercise 1a: +2 points: regraded by hand" in results["output"]
        page = (out / john["key"] / "feedback.html").read_text()
        assert "Manual adjustments by the instructor" in page and "&lt;b&gt;right&lt;/b&gt;" in page
        assert "regraded by hand" in (out / john["key"] / "feedback.md").read_text()
        canvas_scores = {line[1]: float(line[-1]) for line in csv_rows(out / "canvas_grades.csv")[2:]}
        assert canvas_scores["12345"] == 29 and canvas_scores["23456"] == 19

    first = batch(canvas, out, overrides=overrides)
    assert len(first.graded) == 3
    check()
    again = batch(canvas, out, overrides=overrides)          # nothing graded: applied on top of the kept raw results
    assert again.graded == []
    check()
    forced = batch(canvas, out, force=True)                  # graded again, the kept overrides.csv still applies
    assert len(forced.graded) == 3 and any("kept from an earlier run" in n for n in forced.notes)
    check()
    batch(canvas, out, overrides=_overrides(tmp_path / "none.csv", []))   # an empty file drops them
    rows = {row["student"]: row for row in rows_of(out)}
    assert float(rows["12345"]["score"]) == 27 and rows["12345"]["adjustments"] == ""
    assert "Manual adjustments" not in (out / rows["12345"]["key"] / "feedback.html").read_text()


def test_an_exercise_override_stays_within_the_exercise_points(tmp_path):
    canvas = canvas_download(tmp_path / "canvas")
    batch(canvas, tmp_path / "out", overrides=_overrides(tmp_path / "o.csv", ["12345,1a,10,generous"]))
    row = next(r for r in rows_of(tmp_path / "out") if r["student"] == "12345")
    assert float(row["1a"]) == 5 and float(row["score"]) == 30 and row["adjustments"] == "3"


@pytest.mark.parametrize("line, message", [("nobody,1a,1,x", "is no submission of this class"),
                                           ("12345,4z,1,x", "exercise '4z'"),
                                           ("12345,1a,lots,x", "not a number")])
def test_a_bad_override_stops_before_grading_and_names_its_line(tmp_path, line, message):
    with pytest.raises(BatchError, match=message):
        batch(canvas_download(tmp_path / "canvas"), tmp_path / "out",
              overrides=_overrides(tmp_path / "o.csv", [line]))
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_merged_shards_get_the_overrides_too(tmp_path):
    canvas = canvas_download(tmp_path / "canvas")
    overrides = _overrides(tmp_path / "o.csv", ["12345,2,-5,copied the gradient from the slides"])
    shards = [batch(canvas, tmp_path / f"s{k}", shard=f"{k}/2", overrides=overrides, class_report=False).out_root
              for k in (1, 2)]
    merged = merge_shards(shards, tmp_path / "merged")
    john = next(r for r in merged.rows if r["student"] == "12345")
    assert float(john["score"]) == 2 + 20 and float(john["2"]) == 20
    again = merge_shards(shards, tmp_path / "merged2", overrides=_overrides(tmp_path / "none.csv", []))
    assert float(next(r for r in again.rows if r["student"] == "12345")["score"]) == 27


# ----------------------------------------------------------------------- regrade one

def test_only_regrades_one_submission_and_rewrites_the_gradebook(tmp_path):
    directory = sections_folder(tmp_path / "class")
    out = tmp_path / "out"
    with pytest.raises(BatchError, match="holds no gradebook.csv"):
        batch(directory, out, only="section-a/bob.ipynb")
    batch(directory, out)
    for name in ("section-a/bob.ipynb", "section-b/bob.ipynb"):
        (directory / name).write_text(fake_notebook(5), encoding="utf-8")
    with pytest.raises(BatchError, match="names 2 submissions"):
        batch(directory, out, only="bob.ipynb")
    result = batch(directory, out, only="section-a/bob.ipynb")
    assert result.graded == ["section-a/bob.ipynb"]
    scores = {row["submission"]: float(row["score"]) - 25 for row in rows_of(out)}
    assert scores == {"section-a/alice.ipynb": 1, "section-a/bob.ipynb": 5,        # regraded
                      "section-b/alice.ipynb": 4, "section-b/bob.ipynb": 0}        # changed, but not asked for


def test_only_by_student_id_in_a_canvas_download(tmp_path):
    canvas = canvas_download(tmp_path / "canvas")
    batch(canvas, tmp_path / "out")
    result = batch(canvas, tmp_path / "out", only="doejane")
    assert len(result.graded) == 1 and "doejane" in result.graded[0]
    with pytest.raises(BatchError, match="no submission is 'nobody'"):
        batch(canvas, tmp_path / "out", only="nobody")


# ----------------------------------------------------------------------- command line

def test_command_line_version_jobs_timeouts_and_json(tmp_path, capsys):
    from grader.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and "week6-grader" in capsys.readouterr().out
    for bad in (["--jobs", "0"], ["--jobs", "two"], ["--timeout", "0"], ["--cell-timeout", "-1"],
                ["--notebook-timeout", "nan"]):
        with pytest.raises(SystemExit) as stop:
            main(["grade-batch", str(tmp_path), *bad])
        assert stop.value.code == 2
        assert "must be" in capsys.readouterr().err or bad[1] in ("two",)
    directory = tmp_path / "class"
    directory.mkdir()
    (directory / "x.ipynb").write_text("not a notebook", encoding="utf-8")
    assert main(["grade-batch", str(directory), "--out", str(tmp_path / "out"), "--jobs", "1", "--json",
                 "--no-figures"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["submissions"] == 1 and summary["statuses"] == {"unreadable": 1}
    assert summary["gradebook"].endswith("gradebook.csv") and summary["lms_files"] == []
    assert sorted(summary["lms_not_written"]) == ["canvas_grades.csv", "moodle_grades.csv"]
    assert main(["grade-batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--json"]) == 2
    assert "error" in json.loads(capsys.readouterr().out)
    assert main(["grade-batch", str(directory), "--out", str(tmp_path / "o"), "--due", "tomorrow"]) == 2
    assert "expected a date and time" in capsys.readouterr().err



def test_adjusted_results_keep_the_contract(tmp_path):
    from assignment import TESTS
    from grader.classroom.overrides import Override, adjusted_results
    from grader.model import GradingRun
    from grader.model import TestResult as Result
    from grader.reports.results_json import contract_problems, results_dict

    run = GradingRun(notebook_path=tmp_path / "x.ipynb", out_dir=tmp_path / "x", config=GraderConfig())
    run.tests = [Result(spec.name, spec.number, spec.points, score=spec.points, passed=True) for spec in TESTS]
    raw = results_dict(run)
    assert contract_problems(raw) == []
    adjusted, _, _ = adjusted_results(raw, [Override("x", "1d", -3, "sign"), Override("x", "total", 2, "kind")])
    assert adjusted["score"] == raw["score"] - 1 and adjusted["extra_data"]["exercise_scores"]["1d"] == 12
    assert contract_problems(adjusted) == []
    adjusted["extra_data"].pop("manual_adjustments")
    assert any("not the sum" in problem for problem in contract_problems(adjusted))
