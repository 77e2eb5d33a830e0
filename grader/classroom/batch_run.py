"""How the graded tasks of a class run through the worker pool (:mod:`grader.classroom.pool`), and
what happens when one goes wrong: a submission past its wall-clock ``timeout`` has its worker's
process group killed (status ``timeout``), and when a worker dies the submissions that were in flight
are graded again one at a time, so that the one that kills its worker alone is ``grader_error``
and the others get their real grade. :func:`grader.classroom.batch.grade_batch` decides what to grade.
"""
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from grader.classroom.gradebook import KEY_FILE
from grader.classroom.ordering import longest_first
from grader.classroom.overrides import keep_raw
from grader.classroom.pool import WorkerPool, grade_task, write_stopped

BOOT_GRACE = 120.0                       # seconds a worker may take to start before its task's clock runs


def default_timeout(config):
    """Wall-clock cap for one submission: far above what the grader's own limits allow (the whole
    grading's time budget among them: a grading ends by itself, with its results, before this)."""
    return max(2 * float(config.notebook_timeout) + 600.0, float(config.time_budget) + 300.0)


class BatchRun:
    """The graded tasks of one :func:`grader.classroom.batch.grade_batch` run through the worker pool."""

    def __init__(self, tasks, out_root, jobs, config, timeout, reference, progress, grade_function=None):
        self.tasks = tasks
        self.out_root = Path(out_root)
        self.jobs = jobs
        self.config = config
        self.timeout = timeout
        self.reference = reference
        self.progress = progress
        self.grade_function = grade_function
        self.restarts = 0
        self.worker_rss = {}
        self.kernel_rss = {}
        self.outcomes = Counter()
        self.bar = None

    # one submission is finished: its key makes it resumable
    def _done(self, task, outcome=None, status=None, message=""):
        if outcome is not None:
            status = outcome.get("status", "graded")
            pid = outcome.get("pid")
            if pid is not None:
                self.worker_rss[pid] = max(self.worker_rss.get(pid, 0.0), float(outcome.get("worker_rss_mb", 0)))
                self.kernel_rss[pid] = max(self.kernel_rss.get(pid, 0.0), float(outcome.get("kernel_rss_mb", 0)))
        else:
            elapsed = time.monotonic() - (task.started or task.submitted or time.monotonic())
            try:
                write_stopped(task.path, task.out_dir, self.config, status, message, elapsed)
            except Exception as error:    # not even a results.json: the gradebook says grader_error
                print(f"could not write results for {task.path.name}: {error}", file=sys.stderr)
        try:
            task.out_dir.mkdir(parents=True, exist_ok=True)
            keep_raw(task.out_dir)        # the autograder's own files: overrides go on top of them
            (task.out_dir / KEY_FILE).write_text(json.dumps({**task.grade_key, "status": status}) + "\n",
                                                 encoding="utf-8")
        except OSError:
            pass
        self.outcomes[status] += 1
        if self.bar is not None:
            self.bar.set_postfix({s: c for s, c in sorted(self.outcomes.items())}, refresh=False)
            self.bar.update(1)

    def run(self):
        from tqdm import tqdm

        # on a terminal the bar redraws every second; in a log (CI) a line every 30 s is enough
        self.bar = tqdm(total=len(self.tasks), desc="grading", unit="nb", file=sys.stderr, dynamic_ncols=True,
                        smoothing=0.05, mininterval=1 if sys.stderr.isatty() else 30,
                        disable=not self.progress) if self.tasks else None
        tmpdir = tempfile.mkdtemp(prefix="week6-batch-")
        queue = deque(longest_first(self.tasks))      # the slowest do not end the batch alone on one worker
        suspects = deque()
        pool = None
        inflight = {}
        try:
            while queue or suspects or inflight:
                if pool is None:
                    pool = WorkerPool(self.jobs, self.reference, tmpdir)
                if suspects:
                    if not inflight:
                        self._submit(pool, inflight, suspects.popleft(), isolated=True)
                else:
                    while queue and len(inflight) < self.jobs:
                        self._submit(pool, inflight, queue.popleft())
                done, _ = wait(list(inflight), timeout=0.5, return_when=FIRST_COMPLETED)
                pool.drain()
                broken = self._collect(done, inflight)
                killed = self._enforce_timeouts(pool, inflight)
                if broken or killed:
                    settled, _ = wait(list(inflight), timeout=60)
                    broken += self._collect(settled, inflight)
                    broken += list(inflight.values())     # did not settle: count as lost with the pool
                    inflight.clear()
                    self._triage(broken, queue, suspects, deliberate=bool(killed))
                    pool.close(kill=True)
                    pool = None
                    self.restarts += 1
        except BaseException:
            if pool is not None:
                pool.close(kill=True)
                pool = None
            raise
        finally:
            if pool is not None:
                pool.close()
            if self.bar is not None:
                self.bar.close()
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _submit(self, pool, inflight, task, isolated=False):
        task.isolated = isolated
        task.submitted = time.monotonic()
        task.started = task.pid = None
        task.not_sent = False
        try:
            future = pool.executor.submit(grade_task, str(task.path), str(task.out_dir), self.config, task.index,
                                          self.grade_function)
        except BrokenProcessPool:    # broke between two submissions: caught by the next wait
            task.not_sent = True
            future = _failed_future()
        inflight[future] = task

    def _collect(self, done, inflight):
        """Finish the completed futures; return the tasks lost with a broken pool."""
        lost = []
        for future in done:
            task = inflight.pop(future, None)
            if task is None:
                continue
            try:
                outcome = future.result()
            except BrokenProcessPool:
                lost.append(task)
                continue
            except Exception as error:     # e.g. a result that cannot be pickled: a grader bug
                self._done(task, status="grader_error",
                           message=f"The grader failed: {type(error).__name__}: {error}")
                continue
            self._done(task, outcome)
        return lost

    def _enforce_timeouts(self, pool, inflight):
        killed = []
        now = time.monotonic()
        for task in inflight.values():
            running = pool.running.get(task.index)
            if running is not None:
                task.pid, task.started = running
            # a worker that has not even begun (still starting up) gets BOOT_GRACE more
            if now - (task.started or task.submitted + BOOT_GRACE) > self.timeout:
                task.timed_out = True
                killed.append(task)
        for task in killed:
            for pid in ([task.pid] if task.pid else pool.all_pids()):
                pool.kill_tree(pid)
        return killed

    def _triage(self, lost, queue, suspects, deliberate):
        """Decide about the submissions that were in flight when the pool broke."""
        running = [task for task in lost if not task.not_sent and not task.timed_out]
        for task in sorted(lost, key=lambda t: t.index, reverse=True):
            if task.timed_out:
                self._done(task, status="timeout",
                           message=f"Grading this notebook took longer than {self.timeout:g} s and was stopped. "
                                   "Look for code that runs for a long time outside functions.")
            elif deliberate or (task.not_sent and task.requeued < 3):
                # the pool was killed for another submission's timeout, or broke before this one was sent
                task.requeued += 1
                queue.appendleft(task)
            elif task.isolated or len(running) == 1:
                self._done(task, status="grader_error",
                           message="The grading process died while grading this notebook (it may have used "
                                   "too much memory); the notebook was graded alone and the process died again."
                           if task.isolated else
                           "The grading process died while grading this notebook (it may have used too much memory).")
            else:                               # who broke the pool? grade each alone to find out
                suspects.appendleft(task)


def _failed_future():
    future = Future()
    future.set_exception(BrokenProcessPool("the process pool broke before the submission could be sent"))
    return future
