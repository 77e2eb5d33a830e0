"""The merge job of a Slurm run: one class from the shares its array's tasks finished.

    result, missing = merge_run(Path("/shared/out"), tasks=20, array_job="1234", queue=SlurmQueue())

A task's share is finished when its grade-batch wrote ``shard.json`` (:func:`grader.classroom.slurm.submit`
removed those of earlier runs). The students of the other shares are not dropped: they get gradebook rows
with status ``missing`` whose message says why (how Slurm says the task ended, and the last line of its
log), and the class report lists them. ``OUT/.slurm/merge.json`` records what the merge did, for the
command that waits for it.
"""
import json
import os
from pathlib import Path

from grader.classroom.gradebook import read_json
from grader.classroom.lms_export import DEFAULT_ASSIGNMENT
from grader.classroom.outputs import BatchError, BatchResult
from grader.classroom.shards import MANIFEST, merge_shards
from grader.classroom.slurm import MERGE_FILE, SlurmLayout
from grader.classroom.slurm_queue import SlurmError, SlurmQueue
from grader.reports.text import one_line

LOG_TAIL_BYTES = 8192


def last_log_line(path: Path) -> str:
    """The last line with text in a task's log (progress bars redraw with carriage returns), or ""."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.replace("\r", "\n").split("\n") if line.strip()]
    return one_line(lines[-1], 200) if lines else ""


def task_failure(layout: SlurmLayout, array_job: str, k: int, queue: SlurmQueue) -> str:
    """Why task ``k`` left no finished share, in the words of Slurm and of its log."""
    try:
        state = queue.final_state(f"{array_job}_{k}")
    except SlurmError:
        state = None
    log = layout.task_log(array_job, k)
    line = last_log_line(log)
    return (f"Slurm task {k} of {layout.tasks} (job {array_job}_{k}) did not finish its share: "
            f"{state or 'Slurm keeps no record of how it ended (cancelled before it started, or forgotten)'}"
            + (f"; the last line of its log: {line}" if line else "") + f" ({log})")


def merge_run(out: Path, tasks: int, array_job: str, queue: SlurmQueue, *, overrides=None,
              assignment=DEFAULT_ASSIGNMENT, similarity=True, class_report=True) -> tuple[BatchResult, dict]:
    """Merge the finished shares of ``array_job`` into ``out``; returns the result and {k: why} for the
    tasks that did not finish. Raises :class:`BatchError` when none did (nothing to merge)."""
    layout = SlurmLayout(Path(out), tasks)
    finished = [k for k in range(1, tasks + 1) if (layout.shard(k) / MANIFEST).is_file()]
    missing = {k: task_failure(layout, array_job, k, queue) for k in range(1, tasks + 1) if k not in finished}
    record = {"array_job": str(array_job), "merge_job": os.environ.get("SLURM_JOB_ID", ""), "tasks": tasks,
              "finished": finished, "missing": {str(k): why for k, why in missing.items()}}
    try:
        if not finished:
            raise BatchError(f"no task of job {array_job} finished its share, nothing to merge: "
                             + " | ".join(missing.values()))
        result = merge_shards([layout.shard(k) for k in finished], layout.out, allow_partial=True,
                              overrides=overrides, assignment=assignment, similarity=similarity,
                              class_report=class_report, missing_reasons=missing)
    except BatchError as error:
        record["error"] = str(error)
        _write(layout, record)
        raise
    record.update(submissions=len(result.rows), statuses=dict(result.statuses),
                  gradebook=str(result.gradebook), similar_pairs=len(result.similar), notes=result.notes,
                  elapsed=round(result.elapsed, 3))
    _write(layout, record)
    return result, missing


def _write(layout: SlurmLayout, record: dict) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    (layout.root / MERGE_FILE).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_merge(layout: SlurmLayout) -> dict | None:
    """What the merge job recorded (``OUT/.slurm/merge.json``), or None when it has not run."""
    return read_json(layout.root / MERGE_FILE)
