"""``make slurm-test``: a real one-node Slurm cluster (tests/slurm/cluster.py: Debian's munged, slurmctld and
slurmd, its own slurm.conf, stopped by pid) grades a class of 12 -- correct, mistaken, hostile, unreadable --
through ``python -m grader slurm``, and every gradebook must equal a local ``grade-batch --jobs 2`` run's
(scores and statuses, row for row).

One scenario on one cluster, in this order (each step builds on the OUT of the one before):

1. 2 tasks of 1 CPU against the local run: the same gradebook; the wall times side by side, the overhead
   ratio and a projection to 3,000 notebooks on 20 nodes of 16 cores are printed (a report, no time limit
   asserted: the machine is shared);
2. an array of 3 tasks, task 1 requeued by Slurm once it has finished a submission: the requeued task keeps
   what it had finished (not graded again) and the gradebook is the local one;
3. the same command again after one notebook changed: only that one is graded again;
4. the README's two Slurm examples, as written but for the two folders;
5. the same command with task 2 cancelled: the merge still runs (afterany), task 2's students are
   ``missing`` in the gradebook and the class report with Slurm's word for it, and the command exits 1.

Not collected by ``make test`` (the file name is not test_*.py): it needs Slurm, which it installs with
apt-get when run as root. Where Slurm cannot be installed or started, the tests fail and say why.
"""
import csv
import html
import json
import math
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.classroom.gradebook import CONTRACT_COLUMNS, KEY_FILE
from grader.classroom.shards import MANIFEST, shard_of
from grader.classroom.slurm import MERGE_FILE, RUN_FILE, SlurmLayout
from grader.classroom.submissions import find_submissions
from tests.slurm.cluster import one_node_cluster
from tests.slurm.merge_cost import projected_merge

PYTHON = sys.executable
CORRECT = ("correct_vectorized", "correct_column_outputs", "correct_independent_einsum")
MISTAKEN = ("mistake_reg_grad_without_2", "mistake_softmax_without_shift", "mistake_sigmoid_grad_of_preactivation")
CORPUS = ("control", "find-reference", "tamper", "kernel-deaths", "not-json", "nbformat-3")   # hostile, unreadable
CLASS_SIZE = len(CORRECT) + len(MISTAKEN) + len(CORPUS)
PROJECTION = {"notebooks": 3000, "nodes": 20, "cores": 16}


def build_class(directory: Path) -> Path:
    from tests.grader.fixtures import FIXTURES
    from tests.robustness.make_corpus import CASES, Context
    directory.mkdir(parents=True)
    fixtures = {fixture.name: fixture for fixture in FIXTURES}
    for name in CORRECT + MISTAKEN:
        nbformat.write(fixtures[name].build(), str(directory / f"{name}.ipynb"))
    cases = {case.name: case for case in CASES}
    for name in CORPUS:
        (directory / f"{name}.ipynb").write_bytes(cases[name].build(Context()))
    return directory


def gradebook(out: Path) -> dict:
    """{submission: (score, per exercise..., status)} of OUT/gradebook.csv."""
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["submission"]: tuple(row[c] for c in CONTRACT_COLUMNS[1:]) for row in csv.DictReader(handle)}


def keys_written(layout: SlurmLayout) -> dict:
    """{share folder of a submission: mtime of its .grade-key} over every share."""
    return {path.parent: path.stat().st_mtime_ns for path in layout.shards.glob(f"shard-*/*/{KEY_FILE}")}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with one_node_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("slurm-class")
    build_class(root / "class")
    # the reference's trained outcomes, once, before anything is timed (every run reads them from the cache)
    subprocess.run([PYTHON, "-c", "from grader.classroom.batch import reference_outcomes; "
                                  "from grader.config import GraderConfig; reference_outcomes(GraderConfig())"],
                   check=True)
    return root


@pytest.fixture(scope="module")
def local(work):
    """The class graded here with grade-batch --jobs 2: (gradebook, seconds, load average before, after)."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "grader", "grade-batch", str(work / "class"), "--out", str(work / "local"),
                    "--jobs", "2", "--quiet"], check=True)
    seconds = time.monotonic() - started
    book = gradebook(work / "local")
    assert len(book) == CLASS_SIZE
    assert {status[-1] for status in book.values()} >= {"graded", "unreadable"}
    return book, seconds, load, os.getloadavg()[0]


def slurm_argv(work: Path, out: str, tasks: int, *more: str) -> list[str]:
    return [PYTHON, "-m", "grader", "slurm", str(work / "class"), "--out", str(work / out), "--tasks", str(tasks),
            "--cpus", "1", "--time", "60", "--quiet", *more]


def wait_for_run(layout: SlurmLayout, after: float, timeout: float = 120.0) -> dict:
    """The run.json a command just wrote (newer than ``after``)."""
    deadline = time.monotonic() + timeout
    path = layout.root / RUN_FILE
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_mtime >= after:
            return json.loads(path.read_text())
        time.sleep(0.2)
    raise AssertionError(f"no {path} within {timeout:g} s")


def test_two_tasks_of_one_cpu_give_the_local_gradebook_and_the_overhead_is_reported(cluster, work, local, capsys):
    book, local_seconds, local_load, _ = local
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run(slurm_argv(work, "slurm-2", 2), env=cluster.env, capture_output=True, text=True)
    slurm_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr + done.stdout
    assert gradebook(work / "slurm-2") == book
    layout = SlurmLayout(work / "slurm-2", 2)
    merge_job = json.loads((layout.root / MERGE_FILE).read_text())["elapsed"]
    report(cluster, local_seconds, local_load, slurm_seconds, load, merge_job,
           projected_merge([layout.shard(1), layout.shard(2)], layout.out, work / "merge-cost",
                           PROJECTION["notebooks"]), capsys)


def report(cluster, local_seconds, local_load, slurm_seconds, load, merge_job, merge, capsys):
    """The overhead, and the projection to PROJECTION from the cost per notebook measured here."""
    core_seconds = local_seconds * 2 / CLASS_SIZE           # per notebook, two at a time on the 2 cores
    per_task = math.ceil(PROJECTION["notebooks"] / PROJECTION["nodes"])
    grading = math.ceil(per_task / PROJECTION["cores"]) * core_seconds
    overhead = max(0.0, slurm_seconds - local_seconds - merge_job)
    with capsys.disabled():
        print(f"\n== Slurm overhead ({cluster.proctrack}, {os.cpu_count()} cores; load average {local_load:.1f} "
              f"before the local run, {load:.1f} before Slurm's)\n"
              f"  {CLASS_SIZE} notebooks, local grade-batch --jobs 2: {local_seconds:.1f} s\n"
              f"  {CLASS_SIZE} notebooks, Slurm 2 tasks x 1 CPU, then the merge job: {slurm_seconds:.1f} s "
              f"(of which the merge job {merge_job:.1f} s)\n"
              f"  ratio Slurm / local: {slurm_seconds / local_seconds:.2f} (aim <= 1.15)\n"
              f"  per notebook: {core_seconds:.1f} core-seconds here\n"
              f"  merge: {merge['small']:.1f} s for {merge['class']} notebooks, {merge['large']:.1f} s for "
              f"{merge['class'] * merge['copies']} (copies, similarity off): {merge['fixed']:.1f} s + "
              f"{merge['per_notebook'] * 1000:.0f} ms a notebook; similarity {merge['per_pair'] * 1e6:.0f} us a pair "
              f"({merge['compared']} notebooks compared)\n"
              f"  on paper, {PROJECTION['notebooks']} notebooks on {PROJECTION['nodes']} nodes of "
              f"{PROJECTION['cores']} cores, one task per node ({per_task} notebooks each, "
              f"each core grading {math.ceil(per_task / PROJECTION['cores'])} in turn): grading {grading / 60:.1f} min "
              f"+ Slurm's own overhead measured here {overhead:.0f} s + the merge {merge['projected'] / 60:.1f} min "
              f"= {(grading + overhead + merge['projected']) / 60:.1f} min")


def test_a_requeued_task_keeps_what_it_had_finished(cluster, work, local):
    book = local[0]
    layout = SlurmLayout(work / "slurm-3", 3)
    submitted = time.time()
    command = subprocess.Popen(slurm_argv(work, "slurm-3", 3), env=cluster.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        run = wait_for_run(layout, submitted - 1)
        deadline = time.monotonic() + 600
        while not list(layout.shard(1).glob(f"*/{KEY_FILE}")):
            assert time.monotonic() < deadline and command.poll() is None, "task 1 finished no submission"
            time.sleep(0.2)
        assert not (layout.shard(1) / MANIFEST).exists(), "task 1 finished its share before it could be requeued"
        cluster.run("scontrol", "requeue", f"{run['array_job']}_1")
        kept = {path: path.stat().st_mtime_ns for path in layout.shard(1).glob(f"*/{KEY_FILE}")}
        # a requeued job waits 2 minutes before it may start again: not here
        cluster.run("scontrol", "update", f"JobId={run['array_job']}_1", "StartTime=now")
        out, err = command.communicate(timeout=1200)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 0, err + out
    assert gradebook(layout.out) == book
    restarts = cluster.run("scontrol", "--oneliner", "show", "job", f"{run['array_job']}_1").stdout
    assert "Restarts=1" in restarts
    assert "DUE TO JOB REQUEUE" in layout.task_log(run["array_job"], 1).read_text()
    assert {path: path.stat().st_mtime_ns for path in kept} == kept          # not graded again


def test_the_same_command_again_grades_only_what_changed(cluster, work, local):
    book = local[0]
    layout = SlurmLayout(work / "slurm-3", 3)
    changed = work / "class" / "mistake_softmax_without_shift.ipynb"
    original = changed.read_bytes()
    changed.write_bytes((work / "class" / "correct_vectorized.ipynb").read_bytes())
    try:
        before = keys_written(layout)
        done = subprocess.run(slurm_argv(work, "slurm-3", 3), env=cluster.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr + done.stdout
        after = keys_written(layout)
        assert set(after) == set(before)
        assert [path.name for path in after if after[path] != before[path]] == [changed.stem]
        regraded = gradebook(layout.out)
        assert regraded.pop(changed.name) == book["correct_vectorized.ipynb"]
        assert regraded == {name: row for name, row in book.items() if name != changed.name}
    finally:
        changed.write_bytes(original)


def readme_examples() -> list[str]:
    """The Slurm commands of the README's "Across machines" section, as written."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    return [line for line in text.splitlines()
            if line.startswith(("make grade SUBMISSIONS=/shared/subs", ".venv/bin/python -m grader slurm /shared/subs"))]


def test_the_readme_examples_work_as_written(cluster, work, local):
    examples = readme_examples()
    assert len(examples) == 2, examples
    out = work / "slurm-3"
    for example in examples:
        argv = shlex.split(example.replace("/shared/subs", str(work / "class")).replace("/shared/out", str(out)))
        done = subprocess.run(argv, env=cluster.env, cwd=Path(__file__).parents[2], capture_output=True, text=True)
        assert done.returncode == 0, f"{example}\n{done.stderr}{done.stdout}"
        assert gradebook(out) == local[0]


def test_a_cancelled_task_leaves_its_students_missing_and_the_command_fails(cluster, work, local):
    layout = SlurmLayout(work / "slurm-3", 3)
    lost = set(shard_of([s.relpath for s in find_submissions(work / "class").submissions], (2, 3)))
    # one of task 2's notebooks changed, so that the task has something to grade when it is cancelled
    changed = work / "class" / sorted(name for name in lost if name.startswith("correct"))[0]
    original = changed.read_bytes()
    notebook = nbformat.reads(original.decode(), as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("changed"))
    changed.write_text(nbformat.writes(notebook), encoding="utf-8")
    submitted = time.time()
    # held at submission: task 2 is released alone and cancelled once it runs (Slurm keeps no record of a
    # task cancelled before it started, without accounting), then the others and the merge are released
    command = subprocess.Popen(slurm_argv(work, "slurm-3", 3, "--sbatch=--hold"), env=cluster.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        run = wait_for_run(layout, submitted - 1)
        task = f"{run['array_job']}_2"
        cluster.run("scontrol", "release", task)
        deadline = time.monotonic() + 300
        while cluster.run("squeue", "--noheader", "--jobs", task, "--format", "%T", check=False).stdout.strip() \
                != "RUNNING":
            assert time.monotonic() < deadline, f"task {task} did not start"
            time.sleep(0.1)
        cluster.run("scancel", task)
        # (its answer says that task 2 has ended: exit status 1, though the others are released)
        cluster.run("scontrol", "release", run["array_job"], check=False)
        cluster.run("scontrol", "release", run["merge_job"])
        out, err = command.communicate(timeout=1200)
    finally:
        changed.write_bytes(original)
        if command.poll() is None:
            command.kill()
    assert command.returncode == 1, err + out
    with open(layout.out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert len(rows) == CLASS_SIZE
    assert {name for name, row in rows.items() if row["status"] == "missing"} == lost
    messages = {name: rows[name]["message"] for name in lost}
    assert all(f"Slurm task 2 of 3 (job {task})" in message and "CANCELLED" in message
               for message in messages.values()), messages
    assert "missing: Slurm task 2 of 3" in err
    report = (layout.out / "class_report.html").read_text(encoding="utf-8")
    assert all(html.escape(name) in report for name in lost) and "CANCELLED" in report
    assert {name: gradebook(layout.out)[name] for name in rows if name not in lost} == \
        {name: row for name, row in local[0].items() if name not in lost}
