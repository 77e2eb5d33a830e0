"""``python -m grader slurm`` without a cluster: option parsing, submission, waiting and the exit status, with
a stand-in queue that 'runs' the jobs by grading the shares with the stand-in grader of
tests/grader/batch_fakes.py and running the real merge. The real cluster is tests/slurm/real_cluster.py."""
import json
import time
from pathlib import Path

import pytest

import grader.classroom.batch as batch_module
import grader.classroom.slurm_command as command_module
import grader.classroom.slurm_watch as watch_module
from grader.classroom.batch import config_digest, BatchOptions, grade_batch
from grader.classroom.gradebook import read_gradebook
from grader.classroom.outputs import BatchError
from grader.classroom.shards import MANIFEST
from grader.classroom.slurm import RUN_FILE, SlurmLayout, SlurmOptions, SlurmRun, plan_jobs, submit
from grader.classroom.slurm_merge import merge_run
from grader.classroom.slurm_queue import SlurmError, SlurmQueue
from grader.classroom.slurm_watch import ClassProgress
from grader.classroom.submissions import find_submissions
from grader.cli import main
from grader.config import GraderConfig
from tests.grader.batch_fakes import fake_grade, fake_notebook

NAMES = ["ann", "bob", "cy", "dee", "eve"]


def make_class(directory, names=NAMES):
    directory.mkdir(parents=True, exist_ok=True)
    for points, name in enumerate(names):
        (directory / f"{name}.ipynb").write_text(fake_notebook(points % 6), encoding="utf-8")
    return directory


class FakeCluster(SlurmQueue):
    """Submits by recording; the first look at the queue after the merge was submitted 'runs' the array
    (each task's share with the stand-in grader, except the tasks in ``fail``) and then the merge."""

    def __init__(self, submissions, fail=(), run_merge=True):
        self.submissions = submissions
        self.fail = set(fail)
        self.run_merge = run_merge
        self.submitted = []
        self.cancelled = []
        self.ran = False

    def submit(self, script, *args, dependency=None):
        self.submitted.append((script, args, dependency))
        return str(500 + len(self.submitted))         # the array is 501, the merge 502

    def cancel(self, job):
        self.cancelled.append(job)

    def active(self, jobs):
        if len(self.submitted) < 2 or self.ran:
            return {}
        self.ran = True
        out = self.submitted[0][0].parent.parent
        tasks = int(next(p.name for p in (out / ".slurm").glob("shards-of-*")).split("-")[-1])
        layout = SlurmLayout(out, tasks)
        for k in range(1, tasks + 1):
            if k not in self.fail:
                grade_batch(self.submissions, layout.shard(k), BatchOptions(jobs=1, shard=(k, tasks), progress=False,
                                         config=GraderConfig(figures=False), grade_function=fake_grade, class_report=False,
                                         fingerprint=batch_module.grader_fingerprint(), similarity=False))
        if self.run_merge:
            merge_run(out, tasks, "501", self, similarity=False, class_report=False)
        return {"501_1": "RUNNING", "502": "PENDING"}

    def final_state(self, job):
        return "FAILED, exit code 1"


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(watch_module, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(watch_module, "MERGE_FILE_PATIENCE", 0.0)


def grade(tmp_path, queue, tasks=2, **kwargs):
    return command_module.grade_on_slurm(tmp_path / "class", tmp_path / "out", SlurmOptions(tasks=tasks, cpus=1),
                                         GraderConfig(), ["--sandbox", "auto"], [], queue=queue, show=False, **kwargs)


def test_the_whole_class_graded_and_merged_exits_0(tmp_path, quick, capsys):
    queue = FakeCluster(make_class(tmp_path / "class"))
    assert grade(tmp_path, queue) == 0
    (array, args, dependency), (merge, merge_args, merge_dependency) = queue.submitted
    assert array.name == "grade_array.sh" and args == () and dependency is None
    assert merge.name == "merge.sh" and merge_args == ("501",) and merge_dependency == "afterany:501"
    rows = read_gradebook(tmp_path / "out" / "gradebook.csv")
    assert [row["submission"] for row in rows] == [f"{name}.ipynb" for name in NAMES]
    out = capsys.readouterr().out
    assert "5 submissions: 5 graded; merged from 2 of 2 tasks" in out
    assert json.loads((tmp_path / "out" / ".slurm" / RUN_FILE).read_text())["array_job"] == "501"


def test_a_failed_task_makes_the_exit_status_1_and_its_students_missing(tmp_path, quick, capsys):
    queue = FakeCluster(make_class(tmp_path / "class"), fail={2})
    assert grade(tmp_path, queue) == 1
    rows = read_gradebook(tmp_path / "out" / "gradebook.csv")
    assert {row["submission"] for row in rows if row["status"] == "missing"} == {"bob.ipynb", "dee.ipynb"}
    assert "missing: Slurm task 2 of 2 (job 501_2) did not finish its share: FAILED, exit code 1" \
        in capsys.readouterr().err


def test_a_merge_that_did_not_run_makes_the_exit_status_1(tmp_path, quick, capsys):
    queue = FakeCluster(make_class(tmp_path / "class"), run_merge=False)
    assert grade(tmp_path, queue) == 1
    err = capsys.readouterr().err
    assert "the merge job 502 did not run (FAILED, exit code 1)" in err
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_no_wait_submits_and_returns(tmp_path, capsys):
    queue = FakeCluster(make_class(tmp_path / "class"))
    assert grade(tmp_path, queue, wait=False) == 0
    assert len(queue.submitted) == 2 and not queue.ran
    assert "squeue -j 501,502" in capsys.readouterr().out


def test_dry_run_prints_both_scripts_and_submits_nothing(tmp_path, capsys):
    queue = FakeCluster(make_class(tmp_path / "class"))
    assert grade(tmp_path, queue, dry_run=True) == 0
    out = capsys.readouterr().out
    assert "#SBATCH --array=1-2" in out and "slurm-merge" in out
    assert queue.submitted == [] and not (tmp_path / "out" / ".slurm").exists()


def test_more_tasks_than_submissions_or_an_out_inside_them_is_refused(tmp_path):
    make_class(tmp_path / "class")
    with pytest.raises(BatchError, match="6 Slurm tasks for 5 submissions"):
        grade(tmp_path, FakeCluster(tmp_path / "class"), tasks=6)
    with pytest.raises(BatchError, match="inside SUBMISSIONS"):
        command_module.grade_on_slurm(tmp_path / "class", tmp_path / "class" / "out", SlurmOptions(tasks=2),
                                      GraderConfig(), [], [], queue=FakeCluster(tmp_path / "class"))


def plan_for(tmp_path, tasks=2):
    make_class(tmp_path / "class")
    return plan_jobs(tmp_path / "class", SlurmLayout(tmp_path / "out", tasks), SlurmOptions(tasks=tasks), [], [])


def test_a_run_still_in_the_queue_is_not_submitted_over(tmp_path):
    class Busy(FakeCluster):
        def active(self, jobs):
            return {"501_1": "RUNNING"}
    queue = Busy(tmp_path / "class")
    submit(plan_for(tmp_path), queue)
    with pytest.raises(BatchError, match="still in the queue.*scancel 501 502"):
        submit(plan_for(tmp_path), queue)


def test_submitting_removes_the_shares_finished_by_an_earlier_run(tmp_path):
    plan = plan_for(tmp_path)
    stale = plan.layout.shard(2) / MANIFEST
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    submit(plan, FakeCluster(tmp_path / "class"))
    assert not stale.exists()


def test_an_array_whose_merge_cannot_be_submitted_is_cancelled(tmp_path):
    class RefusesMerge(FakeCluster):
        def submit(self, script, *args, dependency=None):
            if dependency:
                raise SlurmError("sbatch failed: invalid dependency")
            return super().submit(script, *args)
    queue = RefusesMerge(tmp_path / "class")
    with pytest.raises(SlurmError):
        submit(plan_for(tmp_path), queue)
    assert queue.cancelled == ["501"]


def test_progress_counts_what_is_unchanged_from_the_start_and_a_finished_share_whole(tmp_path):
    submissions = make_class(tmp_path / "class")
    layout = SlurmLayout(tmp_path / "out", 2)
    fingerprint = batch_module.grader_fingerprint()
    config = GraderConfig(figures=False)
    grade_batch(submissions, layout.shard(1), BatchOptions(jobs=1, shard=(1, 2), progress=False, config=config,
                             grade_function=fake_grade, class_report=False, fingerprint=fingerprint, similarity=False))
    (layout.shard(1) / MANIFEST).unlink()       # as submit() leaves it: graded before, not finished by this run
    found = find_submissions(submissions)
    progress = ClassProgress(layout, found.submissions, fingerprint, config_digest(config), SlurmRun("1", "2", 2))
    assert progress.total == 5 and progress.count() == 3           # share 1 (ann, cy, eve) unchanged
    (submissions / "ann.ipynb").write_text(fake_notebook(5, "changed"), encoding="utf-8")
    progress = ClassProgress(layout, found.submissions, fingerprint, config_digest(config), SlurmRun("1", "2", 2))
    assert progress.count() == 2                                      # ann changed: to grade again
    (layout.shard(2) / MANIFEST).parent.mkdir(parents=True, exist_ok=True)
    (layout.shard(2) / MANIFEST).write_text("{}")
    assert progress.count() == 4                                      # share 2 finished: counted whole
    forced = ClassProgress(layout, found.submissions, fingerprint, config_digest(config),
                           SlurmRun("1", "2", 2, submitted_at=time.time() + 60), force=True)
    assert forced.count() == 2              # --force: unchanged since the last run is not graded by this one


def test_each_task_grades_with_the_configuration_the_command_was_given(tmp_path, monkeypatch):
    """The progress counts by the key a task records: the task's options must make the same configuration."""
    make_class(tmp_path / "class")
    seen = {}

    def capture(submissions, out, options, config, grade_options, merge_options, **kwargs):
        seen.update(config=config, grade_options=grade_options, merge_options=merge_options, options=options)
        return 0
    monkeypatch.setattr(command_module, "grade_on_slurm", capture)
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID\nAnn,1\n")
    assert main(["slurm", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--tasks", "2", "--cpus", "3",
                 "--cell-timeout", "30", "--train-budget", "20", "--no-figures", "--sandbox", "uid", "--force",
                 "--roster", str(roster), "--sbatch=--qos=low", "--sbatch=--account=x",
                 "--overrides", "o.csv", "--assignment", "Week 6 (12)"]) == 0
    assert seen["options"] == SlurmOptions(tasks=2, cpus=3, extra=("--qos=low", "--account=x"))
    assert seen["merge_options"] == ["--overrides", str(Path("o.csv").resolve()), "--assignment", "Week 6 (12)"]
    graded = {}

    def capture_batch(submissions, out, options):
        graded.update(vars(options))
        raise BatchError("captured")
    monkeypatch.setattr(batch_module, "grade_batch", capture_batch)
    assert main(["grade-batch", str(tmp_path / "class"), "--out", str(tmp_path / "s"), *seen["grade_options"]]) == 2
    assert config_digest(graded["config"]) == config_digest(seen["config"])
    assert graded["force"] is True and graded["similarity"] is True and graded["roster"] == str(roster.resolve())


def test_a_task_count_below_1_is_refused_by_the_parser(tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["slurm", str(make_class(tmp_path / "class")), "--tasks", "0", "--dry-run"])
    assert raised.value.code == 2 and "must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [
    (["--time", "soon"], "time limit"),
    (["--sbatch", "qos=low"], "extra #SBATCH line"),
    (["--mem", "much"], "memory"),
])
def test_bad_slurm_options_exit_2_with_a_message(tmp_path, capsys, option, message):
    status = main(["slurm", str(make_class(tmp_path / "class")), "--out", str(tmp_path / "out"), "--tasks", "2",
                   "--dry-run", *option])
    assert status == 2 and message in capsys.readouterr().err


def test_a_zip_is_unpacked_once_into_out_and_the_tasks_get_the_folder(tmp_path, capsys):
    import zipfile
    make_class(tmp_path / "class")
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        for path in (tmp_path / "class").iterdir():
            archive.write(path, f"week6/{path.name}")
    assert command_module.grade_on_slurm(tmp_path / "class.zip", tmp_path / "out", SlurmOptions(tasks=2),
                                         GraderConfig(), [], [], dry_run=True) == 0
    unpacked = next((tmp_path / "out" / ".submissions").iterdir())
    assert (unpacked / "week6" / "ann.ipynb").is_file()
    assert f"grade-batch {unpacked} --out" in capsys.readouterr().out
