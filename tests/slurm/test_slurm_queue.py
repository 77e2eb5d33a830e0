"""What the grader reads back from Slurm's commands (grader.classroom.slurm_queue), with their output as
Slurm 22.05 prints it given to a stand-in for SlurmQueue.run."""
import subprocess

import pytest

import grader.classroom.slurm_queue as queue_module
from grader.classroom.slurm_queue import SlurmError, SlurmQueue


class Answers(SlurmQueue):
    """Each command (by its name) answers (returncode, stdout, stderr); every call is recorded."""

    def __init__(self, **answers):
        self.answers = answers
        self.calls = []

    def run(self, argv):
        self.calls.append(argv)
        code, out, err = self.answers[argv[0]]
        return subprocess.CompletedProcess(argv, code, out, err)


def test_submit_reads_the_job_id_of_parsable_output(tmp_path):
    queue = Answers(sbatch=(0, "1234;cluster\n", ""))
    assert queue.submit(tmp_path / "merge.sh", "1233", dependency="afterany:1233") == "1234"
    assert queue.calls == [["sbatch", "--parsable", "--dependency=afterany:1233", str(tmp_path / "merge.sh"), "1233"]]


def test_a_refused_submission_says_what_sbatch_said(tmp_path):
    queue = Answers(sbatch=(1, "", "sbatch: error: invalid partition specified: gpu\n"))
    with pytest.raises(SlurmError, match="invalid partition specified: gpu"):
        queue.submit(tmp_path / "a.sh")


def test_active_lists_each_array_task_and_the_merge():
    queue = Answers(squeue=(0, "41_2|RUNNING\n41_3|PENDING\n42|PENDING\n", ""))
    assert queue.active(["41", "42"]) == {"41_2": "RUNNING", "41_3": "PENDING", "42": "PENDING"}
    assert queue.calls[0][:5] == ["squeue", "--noheader", "--array", "--jobs", "41,42"]


def test_jobs_that_left_the_queue_are_not_an_error_but_a_dead_controller_is():
    assert Answers(squeue=(1, "", "slurm_load_jobs error: Invalid job id specified\n")).active(["7"]) == {}
    with pytest.raises(SlurmError, match="Unable to contact slurm controller"):
        Answers(squeue=(1, "", "squeue: error: Unable to contact slurm controller\n")).active(["7"])


def test_final_state_from_sacct_where_accounting_is_kept(monkeypatch):
    monkeypatch.setattr(queue_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    queue = Answers(sacct=(0, "FAILED|3:0\n", ""))
    assert queue.final_state("41_2") == "FAILED, exit code 3"


def test_final_state_from_scontrol_without_accounting(monkeypatch):
    monkeypatch.setattr(queue_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    queue = Answers(sacct=(1, "", "sacct: error: Slurm accounting storage is disabled\n"),
                    scontrol=(0, "JobId=44 ArrayJobId=41 ArrayTaskId=2 JobState=TIMEOUT Reason=TimeLimit "
                                 "ExitCode=0:15 RunTime=00:30:00\n", ""))
    assert queue.final_state("41_2") == "TIMEOUT, killed by signal 15, TimeLimit"


def test_a_job_slurm_has_forgotten_has_no_final_state(monkeypatch):
    monkeypatch.setattr(queue_module.shutil, "which", lambda name: f"/usr/bin/{name}")
    queue = Answers(sacct=(0, "", ""), scontrol=(1, "", "slurm_load_jobs error: Invalid job id specified\n"))
    assert queue.final_state("41_2") is None


def test_a_missing_command_says_where_to_run(monkeypatch):
    monkeypatch.setattr(queue_module.shutil, "which", lambda name: None)
    with pytest.raises(SlurmError, match="sbatch not found.*login node"):
        SlurmQueue().run(["sbatch", "--version"])
