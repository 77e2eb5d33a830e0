"""Waiting for a submitted Slurm run, with its progress: tasks ended, notebooks graded, time left.

    progress = ClassProgress(layout, found.submissions, grader_fingerprint(), config_digest(config), run)
    outcome = watch(run, layout, SlurmQueue(), progress)      # returns when the merge job has left the queue
    outcome.merged        # OUT/.slurm/merge.json as the merge job wrote it, or None: it did not run

A submission counts as graded when the ``.grade-key`` in its share's folder is the one grading it now
records (the same notebook bytes, grader fingerprint and configuration: grade-batch's rule for keeping
it), so those unchanged since an earlier run count from the start and the ETA (tqdm's, from the rate of
the others) is for what is left (with ``force``, only what this run records counts). A share whose task
finished counts whole.
"""
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from grader.classroom.batch import notebook_digest
from grader.classroom.gradebook import KEY_FILE, read_key
from grader.classroom.shards import MANIFEST, shard_of
from grader.classroom.slurm import SlurmLayout, SlurmRun
from grader.classroom.slurm_merge import read_merge
from grader.classroom.slurm_queue import SlurmError, SlurmQueue

POLL_SECONDS = 5.0
QUEUE_PATIENCE = 600.0      # seconds without an answer from squeue before giving up waiting (the jobs go on)
MERGE_FILE_PATIENCE = 60.0  # seconds for merge.json to show on this node (a shared filesystem's caches)


class ClassProgress:
    """How many of a class's submissions a run has graded so far, read from the shares' folders."""

    def __init__(self, layout: SlurmLayout, submissions: list, fingerprint: str, config: str, run: SlurmRun,
                 force: bool = False):
        self.layout = layout
        self.started = run.submitted_at
        self.force = force          # everything is graded again: only what this run records counts
        self.total = len(submissions)
        self.waiting = {}           # k -> {result dir: the key grading it now would record}
        for k in range(1, layout.tasks + 1):
            share = shard_of(submissions, (k, layout.tasks))
            self.waiting[k] = {layout.shard(k) / s.key: {"notebook_sha256": notebook_digest(s.path),
                                                         "grader_fingerprint": fingerprint, "config": config}
                               for s in share if not s.no_notebook}
        self.done = self.total - sum(len(w) for w in self.waiting.values())

    def _graded(self, result_dir: Path, key: dict) -> bool:
        stored = read_key(result_dir)
        if not stored or any(stored.get(name) != value for name, value in key.items()):
            return False
        if stored.get("status") != "grader_error" and not self.force:
            return True
        try:                       # a grader error is graded again: only one recorded by this run counts
            return (result_dir / KEY_FILE).stat().st_mtime >= self.started
        except OSError:
            return False

    def count(self) -> int:
        """Submissions graded so far (never fewer than at the last count)."""
        for k, waiting in self.waiting.items():
            if (self.layout.shard(k) / MANIFEST).is_file():
                self.done += len(waiting)
                waiting.clear()
                continue
            for result_dir in [d for d, key in waiting.items() if self._graded(d, key)]:
                del waiting[result_dir]
                self.done += 1
        return self.done


@dataclass
class WatchOutcome:
    merged: dict | None         # merge.json of this run, or None when the merge job did not run
    merge_state: str | None     # how Slurm says the merge job ended, where it still knows


def watch(run: SlurmRun, layout: SlurmLayout, queue: SlurmQueue, progress: ClassProgress | None = None, *,
          show: bool = True, poll: float = POLL_SECONDS) -> WatchOutcome:
    """Wait until the merge job has left the queue, showing the progress (unless ``show`` is false)."""
    from tqdm import tqdm

    bar = tqdm(total=progress.total if progress else 0, initial=progress.count() if progress else 0,
               desc="grading on Slurm", unit="nb", file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
               mininterval=1 if sys.stderr.isatty() else 30, disable=not show or progress is None)
    answered = time.monotonic()
    try:
        while True:
            try:
                active = queue.active([run.array_job, run.merge_job])
                answered = time.monotonic()
            except SlurmError as error:
                if time.monotonic() - answered > QUEUE_PATIENCE:
                    raise SlurmError(f"{error}; gave up waiting after {QUEUE_PATIENCE:g} s (the jobs may still "
                                     f"run: squeue -j {run.array_job},{run.merge_job})") from None
                time.sleep(poll)
                continue
            if progress is not None:
                running = sum(1 for job in active if job.startswith(f"{run.array_job}_"))
                bar.update(max(0, progress.count() - bar.n))
                bar.set_postfix_str(f"tasks ended {run.tasks - running}/{run.tasks}")
            if run.merge_job not in active:
                break
            time.sleep(poll)
    finally:
        bar.close()
    merged = _merge_record(layout, run)
    return WatchOutcome(merged, None if merged else queue.final_state(run.merge_job))


def _merge_record(layout: SlurmLayout, run: SlurmRun) -> dict | None:
    """This run's merge.json, given a shared filesystem's caches some time to show it here."""
    deadline = time.monotonic() + MERGE_FILE_PATIENCE
    while True:
        merged = read_merge(layout)
        if merged is not None and merged.get("array_job") == run.array_job:
            return merged
        if time.monotonic() > deadline:
            return None
        time.sleep(2.0)
