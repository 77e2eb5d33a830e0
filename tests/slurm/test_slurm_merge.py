"""The merge job of a Slurm run (grader.classroom.slurm_merge): the shares its tasks finished make the class;
the students of a task that did not finish are listed as missing, with why, never dropped. Shares are graded
by the stand-in grader of tests/grader/batch_fakes.py; Slurm's answers come from a stand-in queue."""
import json
from pathlib import Path

import pytest

from grader.classroom.batch import BatchOptions, grade_batch
from grader.classroom.gradebook import read_gradebook
from grader.classroom.outputs import BatchError
from grader.classroom.shards import merge_shards, shard_of
from grader.classroom.slurm import MERGE_FILE, SlurmLayout
from grader.classroom.slurm_merge import last_log_line, merge_run
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fake_notebook

NAMES = ["ann", "bob", "cy", "dee", "eve", "fay", "gus"]


class EndedQueue:
    """Slurm as the merge job asks it how tasks ended."""

    def __init__(self, states):
        self.states = states
        self.asked = []

    def final_state(self, job):
        self.asked.append(job)
        return self.states.get(job)


def grade_shares(tmp_path, tasks, finished):
    """A class of NAMES graded as ``tasks`` shares into a Slurm layout; only the shares ``finished`` ran."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    for points, name in enumerate(NAMES):
        (submissions / f"{name}.ipynb").write_text(fake_notebook(points % 6), encoding="utf-8")
    layout = SlurmLayout(tmp_path / "out", tasks)
    for k in finished:
        grade_batch(submissions, layout.shard(k), BatchOptions(jobs=1, shard=(k, tasks), config=GraderConfig(figures=False),
                                 progress=False, grade_function=fake_grade, fingerprint="test", class_report=False))
    return layout


def test_every_task_finished_gives_the_whole_class(tmp_path):
    layout = grade_shares(tmp_path, 3, [1, 2, 3])
    result, missing = merge_run(layout.out, 3, "77", EndedQueue({}), similarity=False)
    assert missing == {}
    rows = read_gradebook(layout.out / "gradebook.csv")
    assert [row["submission"] for row in rows] == [f"{name}.ipynb" for name in NAMES]
    assert {row["status"] for row in rows} == {"graded"}
    record = json.loads((layout.root / MERGE_FILE).read_text())
    assert record["array_job"] == "77" and record["finished"] == [1, 2, 3] and record["missing"] == {}


def test_the_students_of_a_failed_task_are_missing_with_why(tmp_path):
    layout = grade_shares(tmp_path, 3, [1, 3])
    layout.logs.mkdir(parents=True)
    layout.task_log("77", 2).write_text("grading:  50%|#####     | 1/2\rerror: no sandbox level works here\n\n")
    queue = EndedQueue({"77_2": "FAILED, exit code 3"})
    result, missing = merge_run(layout.out, 3, "77", queue, similarity=False)
    assert queue.asked == ["77_2"]
    lost = {f"{name}.ipynb" for name in shard_of(NAMES, (2, 3))}
    rows = {row["submission"]: row for row in read_gradebook(layout.out / "gradebook.csv")}
    assert set(rows) == {f"{name}.ipynb" for name in NAMES}          # nobody dropped
    assert {name for name, row in rows.items() if row["status"] == "missing"} == lost
    for name in lost:
        message = rows[name]["message"]
        assert "Slurm task 2 of 3 (job 77_2)" in message
        assert "FAILED, exit code 3" in message
        assert "error: no sandbox level works here" in message
    report = (layout.out / "class_report.md").read_text()
    # the report names a student by the short name (the stem), with why the row is missing
    assert all(f"| {Path(name).stem} |" in report for name in lost) and "FAILED, exit code 3" in report
    record = json.loads((layout.root / MERGE_FILE).read_text())
    assert record["finished"] == [1, 3] and list(record["missing"]) == ["2"]
    assert record["statuses"] == {"graded": len(NAMES) - len(lost), "missing": len(lost)}


def test_a_task_slurm_has_forgotten_still_says_it_did_not_finish(tmp_path):
    layout = grade_shares(tmp_path, 2, [1])
    _, missing = merge_run(layout.out, 2, "5", EndedQueue({}), similarity=False)
    assert "Slurm task 2 of 2 (job 5_2) did not finish" in missing[2]
    assert "Slurm keeps no record of how it ended" in missing[2]


def test_no_finished_task_is_an_error_recorded_for_the_waiting_command(tmp_path):
    layout = grade_shares(tmp_path, 2, [])
    with pytest.raises(BatchError, match="no task of job 9 finished"):
        merge_run(layout.out, 2, "9", EndedQueue({"9_1": "TIMEOUT", "9_2": "CANCELLED"}), similarity=False)
    record = json.loads((layout.root / MERGE_FILE).read_text())
    assert "TIMEOUT" in record["error"] and "CANCELLED" in record["error"]
    assert not (layout.out / "gradebook.csv").exists()


def test_the_last_line_of_a_log_is_read_from_its_end(tmp_path):
    log = tmp_path / "task.log"
    log.write_text("x" * 100_000 + "\nfirst\r\nprogress 10%\rprogress 90%\r\n  \n")
    assert last_log_line(log) == "progress 90%"
    assert last_log_line(tmp_path / "absent.log") == ""


def test_merge_allow_partial_takes_a_folder_without_shard_json_as_an_unfinished_share(tmp_path):
    """What the Kubernetes merge and the GitHub workflow give `grader merge`: every share's folder."""
    layout = grade_shares(tmp_path, 3, [1, 3])
    layout.shard(2).mkdir(parents=True)                   # a task that died before it wrote shard.json
    folders = [layout.shard(k) for k in (1, 2, 3)]
    with pytest.raises(BatchError, match="did not finish"):
        merge_shards(folders, tmp_path / "merged", class_report=False, similarity=False)
    result = merge_shards(folders, tmp_path / "merged", allow_partial=True, class_report=False, similarity=False)
    assert {row["submission"] for row in result.rows if row["status"] == "missing"} == \
        {f"{name}.ipynb" for name in shard_of(NAMES, (2, 3))}
    assert any(str(layout.shard(2)) in note and "did not finish" in note for note in result.notes)
    with pytest.raises(BatchError, match="no share finished"):
        merge_shards([layout.shard(2)], tmp_path / "none", allow_partial=True, class_report=False)
