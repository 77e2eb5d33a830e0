"""The Slurm job scripts (grader.classroom.slurm): what sbatch is asked for, and the exact command each task
and the merge job run, checked by running the scripts' shell part with a stand-in Python. No Slurm needed."""
import json
import os
import stat
import subprocess
import sys

import pytest

from grader.classroom.outputs import BatchError
from grader.classroom.slurm import SlurmLayout, SlurmOptions, default_mem, plan_jobs, sbatch_line
from grader.config import GraderConfig

ODD = "class $(touch pwned) 'x' \"y\""      # a SUBMISSIONS folder name a shell must not interpret


def sbatch_lines(script):
    """The #SBATCH options in the order sbatch reads them (it stops at the first command)."""
    lines = []
    for line in script.splitlines()[1:]:
        if line.startswith("#SBATCH "):
            lines.append(line[len("#SBATCH "):])
        elif line.strip() and not line.startswith("#"):
            break
    return lines


def fake_python(tmp_path):
    """A 'python' that writes its arguments and the task's environment as JSON, for the scripts to exec."""
    path = tmp_path / "bin" / "python"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\nexec \"$REAL_PYTHON\" -c 'import json, os, sys; json.dump({\"argv\": sys.argv[1:], "
                    "\"cwd\": os.getcwd(), \"omp\": os.environ.get(\"OMP_NUM_THREADS\")}, open(os.environ[\"SEEN\"], \"w\"))'"
                    " \"$@\"\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def run_script(text, tmp_path, args=(), **env):
    script = tmp_path / "job.sh"
    script.write_text(text)
    seen = tmp_path / "seen.json"
    done = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "REAL_PYTHON": sys.executable, "SEEN": str(seen), **env})
    assert done.returncode == 0, done.stderr
    return json.loads(seen.read_text())


@pytest.fixture
def plan(tmp_path):
    submissions = tmp_path / ODD
    submissions.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    options = SlurmOptions(tasks=3, partition="short", time="1:30:00", cpus=8, extra=("--account=cs101", "#SBATCH --qos=low"))
    return plan_jobs(submissions, SlurmLayout(tmp_path / "out", 3), options, ["--sandbox", "auto", "--roster", ODD],
                     ["--overrides", "/x/o.csv"], python=str(fake_python(tmp_path)), project=project)


def test_the_array_asks_slurm_for_n_tasks_with_the_options_given(plan, tmp_path):
    lines = sbatch_lines(plan.array_script)
    assert "--array=1-3" in lines
    assert {"--partition=short", "--time=1:30:00", "--cpus-per-task=8", "--account=cs101", "--qos=low",
            "--requeue", "--open-mode=append"} <= set(lines)
    assert f"--mem={default_mem(8)}" in lines
    assert f"--output={tmp_path / 'out' / '.slurm' / 'logs'}/grade-%A_%a.log" in lines
    merge = sbatch_lines(plan.merge_script)
    assert not any(line.startswith("--array") for line in merge)
    assert {"--partition=short", "--time=1:30:00", "--cpus-per-task=1", "--account=cs101", "--qos=low"} <= set(merge)


def test_a_task_grades_its_share_with_jobs_from_its_cpus(plan, tmp_path):
    out = tmp_path / "out"
    share = out / ".slurm" / "shards-of-3" / "shard-2"
    share.mkdir(parents=True)
    (share / "shard.json").write_text("{}")          # an earlier run's: must not survive into this one
    seen = run_script(plan.array_script, tmp_path, SLURM_ARRAY_TASK_ID="2", SLURM_CPUS_PER_TASK="5")
    assert seen["argv"] == ["-m", "grader", "grade-batch", str(tmp_path / ODD), "--out", str(share),
                            "--shard", "2/3", "--jobs", "5", "--sandbox", "auto", "--roster", ODD]
    assert seen["cwd"] == str(tmp_path / "project")
    assert seen["omp"] == "1"
    assert not (share / "shard.json").exists()
    assert not (tmp_path / "pwned").exists()


def test_the_merge_job_merges_the_array_it_is_given(plan, tmp_path):
    seen = run_script(plan.merge_script, tmp_path, args=["4242"])
    assert seen["argv"] == ["-m", "grader", "slurm-merge", str(tmp_path / "out"), "--tasks", "3",
                            "--array-job", "4242", "--overrides", "/x/o.csv"]


def test_default_memory_covers_a_kernel_and_a_worker_per_cpu():
    assert default_mem(4, GraderConfig(memory_limit_mb=2048)) == "10240M"
    assert default_mem(1, GraderConfig(memory_limit_mb=1000)) == "1512M"


@pytest.mark.parametrize("bad", [
    {"tasks": 0}, {"cpus": 0}, {"time": "2 hours"}, {"time": "1:2"}, {"mem": "lots"}, {"mem": "8 G"},
    {"partition": "short queue"}, {"partition": "a%b"}, {"job_name": "x'y"},
    {"extra": ("account=cs101",)}, {"extra": ("--account=a\n#SBATCH --qos=b",)},
])
def test_bad_options_are_refused_with_a_message(bad):
    with pytest.raises(BatchError) as error:
        SlurmOptions(**{"tasks": 2, **bad})
    assert str(error.value)


@pytest.mark.parametrize("good", ["90", "30:00", "2:00:00", "1-12", "1-12:00", "1-12:00:00", "UNLIMITED"])
def test_slurm_time_formats_are_accepted(good):
    assert SlurmOptions(tasks=1, time=good).time == good


def test_an_sbatch_line_may_be_given_with_or_without_its_prefix():
    assert sbatch_line("#SBATCH --qos=low") == sbatch_line("--qos=low") == "--qos=low"


@pytest.mark.parametrize("out", ["with space", "per%cent", "quo'te"])
def test_an_out_that_sbatch_cannot_take_in_output_is_refused(tmp_path, out):
    with pytest.raises(BatchError, match="#SBATCH --output"):
        plan_jobs(tmp_path, SlurmLayout(tmp_path / out, 2), SlurmOptions(tasks=2), [], [])
