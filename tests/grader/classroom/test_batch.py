"""Grading a whole class: gradebook, robustness, resuming, shards + merge, class report.

Two kinds of tests:

* with a stand-in grader (:func:`fake_grade`, a module-level function the pool's
  workers import): a worker that crashes, hangs or raises -- fast, no kernels;
* one small real class (module fixture, graded once, ~1 min on 2 cores): a
  correct notebook, a mistake under a hostile file name, a file that is not
  JSON and an nbformat-3 notebook.
"""
import csv
import fcntl
import json
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from assignment import TESTS_BY_ID
from grader.classroom.batch import BatchOptions, grade_batch, grader_fingerprint
from grader.classroom.outputs import BatchError
from grader.classroom.shards import merge_shards, parse_shard, shard_of
from grader.classroom.gradebook import GRADEBOOK_COLUMNS, KEY_FILE, TIMING_COLUMNS, read_gradebook
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fake_notebook
from tests.grader.fixtures import FIXTURES, REGULARIZED_GRAD, REGULARIZED_LOSS
from assignment import EXERCISE_POINTS
from tests.answered import FULL_MARKS, unanswered_tests

REQUIRED_COLUMNS = ["submission", "score", *EXERCISE_POINTS, "status"]   # one column per exercise
HOSTILE = '<img src=x onerror=alert(1)>&"bob"'


# ---------------------------------------------------------------- stand-in grader

def fake_class(directory, names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / f"{name}.ipynb").write_text("{}", encoding="utf-8")
    return directory


def fake_batch(directory, out, **kwargs):
    kwargs.setdefault("jobs", 2)
    return grade_batch(directory, out, BatchOptions(config=GraderConfig(figures=False), progress=False,
                                    grade_function=fake_grade, fingerprint="test-fingerprint", **kwargs))


def test_crash_hang_and_exception_do_not_stop_the_batch(tmp_path):
    names = ["ann", "boom", "crash", "dora", "eve", "slow"]
    result = fake_batch(fake_class(tmp_path / "class", names), tmp_path / "out", timeout=12)
    status = {row["submission"]: row["status"] for row in result.rows}
    assert status == {"ann.ipynb": "graded", "boom.ipynb": "grader_error", "crash.ipynb": "grader_error",
                      "dora.ipynb": "graded", "eve.ipynb": "graded", "slow.ipynb": "timeout"}
    assert result.pool_restarts >= 2          # one for the crash, one for the timeout
    for name in names:                        # every submission has its results.json, saying why
        results = json.loads((tmp_path / "out" / name / "results.json").read_text())
        assert results["extra_data"]["status"] == status[f"{name}.ipynb"]
    boom = json.loads((tmp_path / "out" / "boom" / "results.json").read_text())
    assert "the grader tripped over boom" in boom["output"]
    rows = {row["submission"]: row for row in read_gradebook(tmp_path / "out" / "gradebook.csv")}
    assert rows["slow.ipynb"]["score"] == "0" and "longer than 12 s" in rows["slow.ipynb"]["message"]
    assert rows["ann.ipynb"]["score"] == "28"   # 3 + 25


def test_shards_are_disjoint_and_cover_the_class():
    items = list(range(23))
    for n in (1, 2, 3, 7, 30):
        shares = [shard_of(items, f"{k}/{n}") for k in range(1, n + 1)]
        assert sorted(x for share in shares for x in share) == items
        assert max(map(len, shares)) - min(map(len, shares)) <= 1
    for bad in ("0/2", "3/2", "2", "a/b", "1/0"):
        with pytest.raises(BatchError):
            parse_shard(bad)


def test_merge_refuses_missing_and_repeated_shards(tmp_path):
    directory = fake_class(tmp_path / "class", ["a1", "b22", "c333", "d4444", "e55555"])
    shards = [fake_batch(directory, tmp_path / f"s{k}", shard=f"{k}/3", jobs=1, class_report=False).out_root
              for k in (1, 2, 3)]
    with pytest.raises(BatchError, match="3/3 missing"):
        merge_shards(shards[:2], tmp_path / "merged")
    with pytest.raises(BatchError, match="more than once"):
        merge_shards([shards[0], shards[0], shards[1]], tmp_path / "merged")
    partial = merge_shards(shards[:2], tmp_path / "partial", allow_partial=True, class_report=False)
    assert [row["status"] for row in partial.rows].count("missing") == 1
    merged = merge_shards(shards, tmp_path / "merged", class_report=False)
    assert [row["submission"] for row in merged.rows] == sorted(p.name for p in directory.glob("*.ipynb"))
    assert all(row["status"] == "graded" for row in merged.rows)
    other = fake_class(tmp_path / "other", ["zed"])
    with pytest.raises(BatchError, match="different sets"):
        merge_shards([shards[0], fake_batch(other, tmp_path / "o", class_report=False).out_root], tmp_path / "x")


def test_changed_notebook_or_grader_is_graded_again(tmp_path):
    directory = fake_class(tmp_path / "class", ["ann", "bea", "boom"])
    first = fake_batch(directory, tmp_path / "out")
    assert sorted(first.graded) == ["ann.ipynb", "bea.ipynb", "boom.ipynb"]
    stale = tmp_path / "out" / "bea" / "decision_boundary_ex1.png"
    stale.write_bytes(b"from an earlier grading")
    (directory / "bea.ipynb").write_text('{"changed": 1}', encoding="utf-8")
    second = fake_batch(directory, tmp_path / "out")
    # changed notebook: graded again, its old files gone; a grader_error is always tried again
    assert sorted(second.graded) == ["bea.ipynb", "boom.ipynb"] and second.resumed == ["ann.ipynb"]
    assert not stale.exists()
    third = grade_batch(directory, tmp_path / "out", BatchOptions(config=GraderConfig(figures=False), progress=False,
                                     grade_function=fake_grade, fingerprint="another-grader-version", jobs=2))
    assert sorted(third.graded) == ["ann.ipynb", "bea.ipynb", "boom.ipynb"]
    forced = fake_batch(directory, tmp_path / "out", force=True)
    assert len(forced.graded) == 3


def test_fingerprint_follows_assignment_grader_reference_and_data(tmp_path):
    for directory in ("assignment", "grader", "reference", "data", "tests"):
        (tmp_path / directory).mkdir()
    (tmp_path / "grader" / "checks.py").write_text("RTOL = 1e-6\n")
    (tmp_path / "reference" / "network.py").write_text("def f(): pass\n")
    (tmp_path / "data" / "points.mat").write_bytes(b"\x00\x01")
    before = grader_fingerprint(tmp_path)
    (tmp_path / "tests" / "test_x.py").write_text("x = 1\n")          # not part of the grader
    (tmp_path / "grader" / "__pycache__").mkdir()
    (tmp_path / "grader" / "__pycache__" / "checks.cpython-311.pyc").write_bytes(b"junk")
    assert grader_fingerprint(tmp_path) == before
    for path, content in (("grader/checks.py", "RTOL = 1e-5\n"), ("reference/network.py", "def f(): return 1\n"),
                          ("assignment/ex1a_load_data.py", "POINTS = 5\n")):
        (tmp_path / path).write_text(content)
        assert grader_fingerprint(tmp_path) != before
        before = grader_fingerprint(tmp_path)
    (tmp_path / "data" / "points.mat").write_bytes(b"\x00\x02")
    assert grader_fingerprint(tmp_path) != before


def test_gradebook_cells_never_become_formulas(tmp_path):
    directory = fake_class(tmp_path / "class", ["=HYPERLINK(1)", "ann"])
    fake_batch(directory, tmp_path / "out", class_report=False)
    with open(tmp_path / "out" / "gradebook.csv", newline="") as handle:
        cells = [row[0] for row in csv.reader(handle)]
    assert "'=HYPERLINK(1).ipynb" in cells


# -------------------------------------------------------------------- a real class

MISTAKE = next(f for f in FIXTURES if f.name == "mistake_biases_regularized")
CORRECT = next(f for f in FIXTURES if f.name == "correct_vectorized")


def _grade_real_class(root):
    directory = root / "class"
    directory.mkdir()
    nbformat.write(CORRECT.build(), str(directory / "alice.ipynb"))
    nbformat.write(MISTAKE.build(), str(directory / f"{HOSTILE}.ipynb"))
    (directory / "carol.ipynb").write_text("this is not JSON {", encoding="utf-8")
    (directory / "dave.ipynb").write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                                      "worksheets": [{"cells": []}]}), encoding="utf-8")
    (directory / "notes.txt").write_text("not a notebook", encoding="utf-8")
    fingerprint = grader_fingerprint()
    started = time.monotonic()
    result = grade_batch(directory, root / "out", BatchOptions(jobs=2, config=GraderConfig(figures=False),
                                      fingerprint=fingerprint, progress=False))
    return {"fingerprint": fingerprint, "seconds": time.monotonic() - started, "rows": result.rows,
            "pool_restarts": result.pool_restarts}


@pytest.fixture(scope="module")
def real_class(tmp_path_factory):
    """A small class graded once (2 jobs) per test session, shared by the xdist workers (a file lock).

    The fingerprint is fixed when it is graded, so edits elsewhere in the tree do not interfere.
    Tests that write must work on a copy.
    """
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker's basetemp is a child of the session's directory
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "batch-real-class"
    root.mkdir(exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "done.json"
        if not done.exists():
            shutil.rmtree(root / "class", ignore_errors=True)
            shutil.rmtree(root / "out", ignore_errors=True)
            done.write_text(json.dumps(_grade_real_class(root)), encoding="utf-8")
        data = json.loads(done.read_text(encoding="utf-8"))
    return {**data, "root": root, "dir": root / "class", "config": GraderConfig(figures=False)}


def test_gradebook_has_one_row_per_notebook(real_class):
    out = real_class["root"] / "out"
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[:len(REQUIRED_COLUMNS)] == REQUIRED_COLUMNS
    assert header == list(GRADEBOOK_COLUMNS) and "execution_time" in header and "grader_version" in header
    rows = read_gradebook(out / "gradebook.csv")
    assert [row["submission"] for row in rows] == sorted(["alice.ipynb", f"{HOSTILE}.ipynb", "carol.ipynb",
                                                          "dave.ipynb"])
    rows = {row["submission"]: row for row in rows}
    alice = rows["alice.ipynb"]
    assert alice["status"] == "graded" and float(alice["score"]) == FULL_MARKS and alice["tests_failed"] == "0"
    mistake = rows[f"{HOSTILE}.ipynb"]
    assert mistake["status"] == "graded"
    # the mistake's tests, and maybe those of an exercise its solution predates (tests/answered.py)
    failed, unanswered = len(REGULARIZED_LOSS | REGULARIZED_GRAD), len(unanswered_tests(MISTAKE.build()))
    assert failed <= int(mistake["tests_failed"]) <= failed + unanswered
    assert 0 < float(mistake["score"]) < FULL_MARKS
    assert float(mistake["score"]) == pytest.approx(sum(float(mistake[e]) for e in EXERCISE_POINTS))
    for name in ("alice", HOSTILE):
        results = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
        assert float(rows[f"{name}.ipynb"]["score"]) == pytest.approx(results["score"])


def test_broken_notebooks_do_not_stop_the_batch(real_class):
    rows = {row["submission"]: row for row in real_class["rows"]}
    for name, why in (("carol.ipynb", "not valid JSON"), ("dave.ipynb", "notebook format 3")):
        assert rows[name]["status"] == "unreadable"
        assert rows[name]["score"] == "0" and all(rows[name][e] == "0" for e in EXERCISE_POINTS)
        assert why in rows[name]["message"]
    assert real_class["pool_restarts"] == 0


def test_second_run_grades_nothing(real_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(real_class["root"] / "out", out)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/results.json")}
    again = grade_batch(real_class["dir"], out, BatchOptions(jobs=2, config=real_class["config"],
                                     fingerprint=real_class["fingerprint"], progress=False))
    assert again.graded == []
    assert sorted(again.resumed) == sorted(row["submission"] for row in real_class["rows"])
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/results.json")} == before
    assert again.rows == real_class["rows"]
    assert all((out / Path(name).stem / KEY_FILE).is_file() for name in again.resumed)


def test_shards_then_merge_equal_a_single_run(real_class, tmp_path):
    root = tmp_path
    shard_dirs = []
    for k in (1, 2):
        part = grade_batch(real_class["dir"], root / f"shard{k}", BatchOptions(jobs=1, config=real_class["config"], shard=f"{k}/2",
                                        fingerprint=real_class["fingerprint"], progress=False, class_report=False))
        assert len(part.rows) == 2
        shard_dirs.append(part.out_root)
    merged = merge_shards(shard_dirs, root / "merged")

    def comparable(path):
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in read_gradebook(path)]

    assert comparable(root / "merged" / "gradebook.csv") == comparable(real_class["root"] / "out" / "gradebook.csv")
    assert len(merged.rows) == 4
    assert (root / "merged" / HOSTILE / "results.json").is_file()
    assert (root / "merged" / "class_report.html").is_file()


def test_class_report_shows_scores_escaped_names_failures_and_the_ungraded(real_class):
    out = real_class["root"] / "out"
    page = (out / "class_report.html").read_text(encoding="utf-8")
    md = (out / "class_report.md").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 3
    assert "Scores" in page and "score histogram" in page
    assert "class_report_score_histogram.png" in md and (out / "class_report_score_histogram.png").is_file()
    assert all((out / name).is_file() for name in __import__("re").findall(r"\]\((class_report_[^)]+\.png)\)", md))
    # the hostile file name is shown, escaped, never as markup
    assert HOSTILE not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;&#34;bob&#34;" in page
    assert not __import__("re").search(r"(?<!\\)<img src=x", md)        # shown as text: \<img
    # failure counts: each test the mistake fails is listed once, with count 1 (of the attempts)
    failures = page.split('<h2 id="failures">Most frequent failures</h2>', 1)[1].split("<h2", 1)[0]
    for name in (TESTS_BY_ID[test_id].name for test_id in REGULARIZED_LOSS | REGULARIZED_GRAD):
        from markupsafe import escape
        assert f"<td>{escape(name)}</td><td class=\"num\">1</td>" in failures
    # the ones not graded, with why
    not_graded = page.split('<h2 id="not-graded">Not graded</h2>', 1)[1]
    assert ">carol</td>" in not_graded and "unreadable" in not_graded and "not valid JSON" in not_graded
    slowest = page.split('<h2 id="slowest">Slowest submissions</h2>', 1)[1]
    assert '<a href="alice/feedback.html">alice</a>' in slowest


def test_class_report_counts_tags(tmp_path):
    directory = fake_class(tmp_path / "class", ["ann", "bo", "cy"])
    for path in directory.iterdir():        # each wrote load_data (exercise 1a): their failures count
        path.write_text(fake_notebook(len(path.stem) % 6, "def load_data():\n    return 1, 2\n"), encoding="utf-8")
    fake_batch(directory, tmp_path / "out")
    page = (tmp_path / "out" / "class_report.html").read_text(encoding="utf-8")
    tags = page.split('<h2 id="tags">Most frequent tags</h2>', 1)[1].split("<h2", 1)[0]
    assert "mistake:ann" in tags and "mistake:bo" in tags
    failures = page.split('<h2 id="failures">Most frequent failures</h2>', 1)[1].split("<h2", 1)[0]
    assert '<td>first test</td><td class="num">3</td><td class="num">3</td>' in failures


def test_command_line_grade_batch_and_merge(tmp_path, capsys):
    from grader.cli import main

    directory = tmp_path / "class"
    directory.mkdir()
    for name in ("x", "y", "z"):
        (directory / f"{name}.ipynb").write_text("not a notebook", encoding="utf-8")
    assert main(["grade-batch", str(directory), "--out", str(tmp_path / "bad"), "--shard", "3/2"]) == 2
    assert main(["grade-batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "bad")]) == 2
    for k in (1, 2):
        assert main(["grade-batch", str(directory), "--out", str(tmp_path / f"s{k}"), "--jobs", "1",
                     "--shard", f"{k}/2", "--quiet", "--no-figures"]) == 0
    assert [r["submission"] for r in read_gradebook(tmp_path / "s1" / "gradebook.csv")] == ["x.ipynb", "z.ipynb"]
    assert main(["merge", str(tmp_path / "s1"), "--out", str(tmp_path / "m")]) == 2       # shard 2/2 missing
    assert main(["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")]) == 0
    rows = read_gradebook(tmp_path / "m" / "gradebook.csv")
    assert [(r["submission"], r["status"], r["score"]) for r in rows] == [
        ("x.ipynb", "unreadable", "0"), ("y.ipynb", "unreadable", "0"), ("z.ipynb", "unreadable", "0")]
    assert "Gradebook:" in capsys.readouterr().out
