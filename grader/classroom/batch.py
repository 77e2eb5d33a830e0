"""Grade a whole class, as an LMS hands it over, several notebooks at a time.

    result = grade_batch("submissions/", "out/", jobs=4)            # all of them
    result = grade_batch("canvas.zip", "out/", roster="roster.csv", overrides="overrides.csv")
    result = grade_batch("submissions/", "out/", only="alice")      # regrade one into a graded OUT
    result = grade_batch("submissions/", "out/shard-2", shard=(2, 4))  # the 2nd of 4 disjoint shares
    merged = merge_shards(["out/shard-1", ..., "out/shard-4"], "out/class")

Each submission is graded by :func:`grader.pipeline.grade_notebook` in a worker
of a process pool (:mod:`grader.classroom.pool`: ``forkserver`` start method; each worker is the
leader of its own process group). What one notebook does never stops the batch:

* an exception anywhere in grading -> status ``grader_error`` (with the traceback's last line);
* a worker process that dies (the pool breaks) -> the submissions that were in
  flight are graded again one at a time; the one that kills its worker alone
  is ``grader_error``; the others get their real grade;
* a submission still running after ``timeout`` seconds (wall clock) -> its
  worker's process group is killed, status ``timeout``; the others in flight
  are graded again.

The submissions, and who handed each in, come from :mod:`grader.classroom.submissions`
(folder trees, zips, Gradescope / Canvas / Moodle downloads); each has a unique
key and its own ``OUT/<key>/`` (the notebook's stem for a notebook at the top of
a plain folder, as the contract says). A submission stopped this way still gets
``OUT/<key>/results.json`` (and the feedback files), written by the parent.

Work that is the same for every student -- the reference's trained outcomes
(:func:`assignment.kit.reference_runs.reference_training` for every trained network) --
is computed once in the parent (or read from the reference cache) and shipped to the
workers, which :func:`assignment.kit.reference_runs.preload` it.

Resuming: ``OUT/<key>/.grade-key`` records the notebook's sha256, the grader's
fingerprint (:func:`grader_fingerprint`: a hash of assignment/, grader/, reference/,
student_template/ and data/*.mat) and a hash of the configuration. A submission whose key is
unchanged and whose results.json is readable is not graded again, unless its
status was ``grader_error`` (``force`` grades everything). Before a submission
is graded again, the files an earlier grading wrote in its directory are removed.

After grading, every run rebuilds each results.json and feedback from the
autograder's own copies plus the overrides (:mod:`grader.classroom.overrides`), flags
near-identical pairs (:mod:`grader.classroom.similarity`) and writes, in ``OUT``:
``gradebook.csv`` (:mod:`grader.classroom.gradebook`, one row per submission, in path
order), ``canvas_grades.csv`` and ``moodle_grades.csv`` (:mod:`grader.classroom.lms_export`),
``shard.json`` (which share of which class this directory holds, for
:func:`merge_shards`), ``class_report.html`` / ``class_report.md``
(:mod:`grader.classroom.class_report`).
"""
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from grader import PROJECT_ROOT
from grader.classroom.gradebook import (IDENTITY_FILE, KEY_FILE, LIST_SEPARATOR, empty_row, gradebook_row,
                                        read_identity, read_key, write_gradebook)
from grader.classroom.lms_export import DEFAULT_ASSIGNMENT, write_lms_files
from grader.classroom.overrides import (RAW_FILES, OverridesError, apply_overrides, has_raw, is_adjusted, keep_raw,
                                        read_overrides, resolve)
from grader.classroom.pool import Task, WorkerPool, grade_task, write_stopped
from grader.classroom.similarity import CACHE_FILE as SIMILARITY_CACHE
from grader.classroom.similarity import CODE_FILE, notebook_code, partners, similar_pairs
from grader.classroom.submissions import Submission, SubmissionsError, find_submissions, parse_due, select
from grader.config import GraderConfig
from grader.kernel.sandbox import resolve_level
from grader.reports.written_work import ANSWERS_DIR

FINGERPRINT_DIRS = ("assignment", "grader", "reference", "student_template")
FINGERPRINT_GLOBS = ("data/*.mat",)

GRADEBOOK = "gradebook.csv"
MANIFEST = "shard.json"
UNPACKED_DIR = ".submissions"            # where a SUBMISSIONS zip is unpacked
OVERRIDES_FILE = "overrides.csv"         # the overrides of the last run that gave some, used again
NO_NOTEBOOK = "no_notebook"              # the status of a submission that holds no notebook (as on Gradescope)
PREVIOUS_OUTPUTS = (KEY_FILE, "results.json", "feedback.md", "feedback.html", "*.executed.ipynb",
                    "decision_boundary_*.png", "gradient_blocks_*.png",
                    *RAW_FILES.values(), f"{ANSWERS_DIR}/*")   # removed before grading again
BOOT_GRACE = 120.0                       # seconds a worker may take to start before its task's clock runs


class BatchError(RuntimeError):
    """The batch cannot run at all (no such directory, bad shard, shards that do not fit together)."""


# --------------------------------------------------------------------- identity

def grader_fingerprint(root=PROJECT_ROOT):
    """A hash of everything that decides a grade: the files of FINGERPRINT_DIRS and data/*.mat.

    Any change to one of them (a tolerance, a check, the reference, the data)
    changes the fingerprint, so a resumed batch grades everything again.
    """
    root = Path(root)
    files = set()
    for directory in FINGERPRINT_DIRS:
        for path in (root / directory).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files.add(path)
    for pattern in FINGERPRINT_GLOBS:
        files.update(p for p in root.glob(pattern) if p.is_file())
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def config_digest(config):
    """A short hash of a :class:`GraderConfig` (limits, tolerances, switches)."""
    text = json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def notebook_digest(path):
    """sha256 of the file's bytes (read in chunks: a submission may be huge)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        return f"unreadable:{type(error).__name__}"
    return digest.hexdigest()


def parse_shard(text):
    """"2/4" -> (2, 4); k counts from 1. Raises :class:`BatchError` for anything else."""
    if isinstance(text, (tuple, list)):
        k, n = text
    else:
        try:
            k, n = (int(part) for part in str(text).split("/"))
        except ValueError:
            raise BatchError(f"--shard must look like k/n (e.g. 2/4), not {text!r}") from None
    if not (n >= 1 and 1 <= k <= n):
        raise BatchError(f"shard {k}/{n}: k must be between 1 and n")
    return int(k), int(n)


def shard_of(paths, shard):
    """The ``k``-th of ``n`` shares of the sorted list: every n-th, starting at index k-1.

    Disjoint, together they cover the list, and no two shares differ by more than one.
    """
    if shard is None:
        return list(paths)
    k, n = parse_shard(shard)
    return [path for index, path in enumerate(paths) if index % n == k - 1]


# ------------------------------------------------------------------- reference

def reference_outcomes(config):
    """{(network, restarts): (accuracy, W)} for every trained network of the assignment, computed once
    in the parent (or read from the one on-disk cache, assignment/kit/reference_cache.py) and shipped
    to the workers."""
    from assignment import TRAINED
    from assignment.kit.reference_runs import reference_training

    restarts = int(config.train_restarts)
    return {(network, restarts): reference_training(network, restarts) for network in TRAINED}


# ---------------------------------------------------------------------- result

@dataclass
class BatchResult:
    """What :func:`grade_batch` (or :func:`merge_shards`) did.

    rows: the gradebook rows (dicts keyed by :data:`grader.classroom.gradebook.GRADEBOOK_COLUMNS`), in order.
    graded: submissions (paths below SUBMISSIONS) graded by this call; resumed: those kept as they were.
    skipped: the files not graded, and why; notes: lines for the summary (overrides, LMS files, roster);
    similar: the near-identical pairs (by key); answers_page: the TAs' written_answers.html (grader.classroom.answers_page).
    worker_rss_mb / kernel_rss_mb: worker pid -> peak resident memory (MiB) of the
    worker process itself / of its largest finished child (the notebook kernel).
    pool_restarts: how often the process pool had to be made again (a worker died or was killed).
    """
    out_root: Path
    rows: list = field(default_factory=list)
    graded: list = field(default_factory=list)
    resumed: list = field(default_factory=list)
    shard: tuple | None = None
    fingerprint: str = ""
    jobs: int = 0
    elapsed: float = 0.0
    reference_seconds: float = 0.0
    pool_restarts: int = 0
    worker_rss_mb: dict = field(default_factory=dict)
    kernel_rss_mb: dict = field(default_factory=dict)
    gradebook: Path | None = None
    class_report: tuple | None = None
    lms_files: tuple = ()
    source: str = "folder"
    skipped: list = field(default_factory=list)         # [grader.classroom.submissions.Skipped]
    notes: list = field(default_factory=list)
    similar: list = field(default_factory=list)         # [grader.classroom.similarity.Pair]
    answers_page: Path | None = None      # written_answers.html, the TAs' page of written answers and plots

    @property
    def statuses(self):
        """Counter of the rows' statuses."""
        return Counter(row["status"] for row in self.rows)

    def summary(self):
        counts = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
        shard = f" (shard {self.shard[0]}/{self.shard[1]})" if self.shard else ""
        lines = [f"{len(self.rows)} submissions{shard}: {counts or 'none'}; {len(self.graded)} run now, "
                 f"{len(self.resumed)} kept (unchanged since their last grading); {self.elapsed:.1f} s"]
        from grader.classroom.submissions import Found
        lines += Found(root=self.out_root, skipped=self.skipped).skipped_summary()
        if self.similar:
            lines.append(f"{len(self.similar)} pair(s) of near-identical submissions to look at (class report)")
        return "\n".join(lines + self.notes)

    def as_json(self):
        """The summary for scripts (``--json``)."""
        return {"submissions": len(self.rows), "statuses": dict(self.statuses), "graded": self.graded,
                "resumed": self.resumed, "skipped": [{"path": s.relpath, "reason": s.reason} for s in self.skipped],
                "similar_pairs": [[p.first, p.second, round(p.share, 3)] for p in self.similar],
                "source": self.source, "shard": list(self.shard) if self.shard else None,
                "gradebook": str(self.gradebook) if self.gradebook else None,
                "class_report": str(self.class_report[0]) if self.class_report else None,
                "answers_page": str(self.answers_page) if self.answers_page else None,
                "lms_files": [str(p) for p in self.lms_files], "notes": self.notes,
                "elapsed": round(self.elapsed, 3)}


# ----------------------------------------------------------------------- batch

def default_timeout(config):
    """Wall-clock cap for one submission: far above what the grader's own limits allow (the whole
    grading's time budget among them: a grading ends by itself, with its results, before this)."""
    return max(2 * float(config.notebook_timeout) + 600.0, float(config.time_budget) + 300.0)


class _Batch:
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
        queue = deque(self.tasks)
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


def _clear_previous(result_dir):
    """Remove what an earlier grading of this submission wrote (only the files the grader writes)."""
    if not result_dir.is_dir():
        return
    for pattern in PREVIOUS_OUTPUTS:
        for path in result_dir.glob(pattern):
            try:
                if path.is_file() or path.is_symlink():
                    path.unlink()
            except OSError:
                pass


def _failed_future():
    from concurrent.futures import Future
    future = Future()
    future.set_exception(BrokenProcessPool("the process pool broke before the submission could be sent"))
    return future


def _find(submissions, out_root, roster, due):
    try:
        found = find_submissions(submissions, workdir=out_root / UNPACKED_DIR, roster=roster,
                                 due=parse_due(due) if isinstance(due, str) else due, exclude=[out_root])
    except SubmissionsError as error:
        raise BatchError(str(error)) from None
    if not found.submissions:
        lines = found.skipped_summary()
        raise BatchError(f"no notebook (*.ipynb) found in {submissions}" + ("; " + "; ".join(lines) if lines else ""))
    return found


def _overrides_for(out_root, overrides, submissions):
    """({key: [Override]}, note): from ``overrides`` (kept as OUT/overrides.csv for the next runs),
    else from the OUT/overrides.csv an earlier run kept."""
    stored = out_root / OVERRIDES_FILE
    path = Path(overrides) if overrides else (stored if stored.is_file() else None)
    if path is None:
        return {}, None
    try:
        table = read_overrides(path)
        by_key = resolve(table, submissions)
    except OverridesError as error:
        raise BatchError(str(error)) from None
    if overrides and path.resolve() != stored.resolve():
        shutil.copyfile(path, stored)
    where = "" if overrides else " (kept from an earlier run; give an empty file to drop them)"
    return by_key, f"overrides: {len(table)} adjustment(s) from {path}{where}"


def _prepare_dir(submission, out_root):
    """Record who handed in the notebook and its code (for similarity) beside its results."""
    result_dir = out_root / submission.key
    result_dir.mkdir(parents=True, exist_ok=True)
    identity = json.dumps(submission.identity(), indent=1, ensure_ascii=False) + "\n"
    code = notebook_code(submission.path)
    for name, text in ((IDENTITY_FILE, identity), (CODE_FILE, code)):
        path = result_dir / name
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except OSError:
            pass
        path.write_text(text, encoding="utf-8")
    return result_dir


def grade_batch(submissions_dir, out_root, jobs=None, config=None, shard=None, *, timeout=None, force=False,
                progress=True, class_report=True, fingerprint=None, grade_function=None,
                roster=None, overrides=None, only=None, due=None, assignment=DEFAULT_ASSIGNMENT, similarity=True):
    """Grade every submission found in ``submissions_dir`` into ``out_root``; returns a :class:`BatchResult`.

    submissions_dir: a folder tree, a zip, an LMS download (:func:`grader.classroom.submissions.find_submissions`).
    jobs: submissions graded at once (default ``os.cpu_count()``).
    shard: (k, n) or "k/n": grade only the k-th of n disjoint shares (:func:`shard_of`).
    timeout: wall-clock seconds per submission before it is stopped (:func:`default_timeout`).
    force: grade again even what is unchanged since its last grading.
    fingerprint: the grader's version for resuming (default :func:`grader_fingerprint`).
    grade_function: what grades one notebook in a worker, ``f(path, out_root, config, out_dir=...)
    -> GradingRun`` writing ``out_dir/results.json`` (default :func:`grader.pipeline.grade_notebook`);
    a module-level function, as it is sent to the workers.
    roster: a roster CSV (names, emails, SIS ids). due: a datetime or ISO text; later submissions are late.
    overrides: an overrides CSV (:mod:`grader.classroom.overrides`). only: regrade just the submission this names
    (key, file, path, student, name or email) into an ``out_root`` graded before.
    assignment: the assignment's column name in the Canvas file. similarity: flag near-identical pairs.
    Writes ``out_root/<key>/results.json`` for every submission, ``gradebook.csv``, the LMS files,
    ``shard.json`` and (``class_report``) the class report.
    """
    started = time.monotonic()
    config = config or GraderConfig()
    if grade_function is None:      # no sandbox here: SandboxUnavailable before anyone is graded
        resolve_level(config)
    out_root = Path(out_root)
    jobs = int(jobs) if jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise BatchError(f"jobs must be at least 1, not {jobs}")
    if timeout is not None and not float(timeout) > 0:
        raise BatchError(f"timeout must be more than 0 seconds, not {timeout}")
    if only is not None and not (out_root / GRADEBOOK).is_file():
        raise BatchError(f"ONLY= regrades one submission into a graded OUT, and {out_root} holds no {GRADEBOOK}")
    out_root.mkdir(parents=True, exist_ok=True)
    found = _find(submissions_dir, out_root, roster, due)
    class_subs = found.submissions
    shard = parse_shard(shard) if shard is not None else None
    subs = shard_of(class_subs, shard)
    chosen = None
    if only is not None:
        try:
            chosen = select(class_subs, only)
        except SubmissionsError as error:
            raise BatchError(str(error)) from None
        if chosen not in subs:
            raise BatchError(f"{chosen.relpath} is not in shard {shard[0]}/{shard[1]}")
    override_table, override_note = _overrides_for(out_root, overrides, class_subs)
    timeout = float(timeout) if timeout else default_timeout(config)
    fingerprint = fingerprint or grader_fingerprint()
    result = BatchResult(out_root=out_root, shard=shard, fingerprint=fingerprint, jobs=jobs, source=found.source,
                         skipped=found.skipped)

    settings = config_digest(config)
    tasks = []
    for index, submission in enumerate(subs):
        result_dir = _prepare_dir(submission, out_root)
        if chosen is not None and submission is not chosen:
            result.resumed.append(submission.relpath)         # kept as it is, changed or not
            continue
        key = {"notebook_sha256": notebook_digest(submission.path), "grader_fingerprint": fingerprint,
               "config": settings}
        stored = read_key(result_dir)
        if submission.no_notebook:       # nothing to run: its results say what it held
            if force or chosen is not None or not stored or stored != {**key, "status": NO_NOTEBOOK}:
                _clear_previous(result_dir)
                write_stopped(submission.path, result_dir, config, NO_NOTEBOOK, submission.no_notebook)
                keep_raw(result_dir)
                (result_dir / KEY_FILE).write_text(json.dumps({**key, "status": NO_NOTEBOOK}) + "\n", encoding="utf-8")
            continue
        # a grader_error is the grader's failure, not a grade: it is always tried again; results adjusted
        # by hand whose autograder copy is gone cannot be rebuilt: graded again too
        if (not force and chosen is None and stored and all(stored.get(k) == v for k, v in key.items())
                and stored.get("status") != "grader_error" and (has_raw(result_dir) or not is_adjusted(result_dir))):
            try:
                json.loads((result_dir / "results.json").read_text(encoding="utf-8"))
                if not has_raw(result_dir):
                    keep_raw(result_dir)
                result.resumed.append(submission.relpath)
                continue
            except (OSError, ValueError):
                pass
        _clear_previous(result_dir)
        tasks.append(Task(index, submission.path, key, result_dir))

    if progress:
        print(f"{len(subs)} submissions" + (f" (shard {shard[0]}/{shard[1]} of {len(class_subs)})" if shard else "")
              + f" ({found.source}): {len(tasks)} to grade, {len(result.resumed)} unchanged since their last grading"
              + (f", {len(found.skipped)} files skipped" if found.skipped else ""), file=sys.stderr)
    if tasks:
        reference_started = time.monotonic()
        # a custom grade_function (tests) may not need the reference: it is then not trained
        reference = reference_outcomes(config) if grade_function is None else None
        result.reference_seconds = time.monotonic() - reference_started
        function_name = None if grade_function is None else f"{grade_function.__module__}:{grade_function.__qualname__}"
        batch = _Batch(tasks, out_root, min(jobs, len(tasks)), config, timeout, reference, progress, function_name)
        batch.run()
        by_path = {s.path: s.relpath for s in subs}
        result.graded = [by_path[task.path] for task in tasks]
        result.pool_restarts = batch.restarts
        result.worker_rss_mb, result.kernel_rss_mb = batch.worker_rss, batch.kernel_rss

    if found.roster_unmatched:
        names = [row["name"] or row["sis_id"] or row["email"] for row in found.roster_unmatched]
        result.notes.append(f"{len(names)} student(s) of the roster handed in nothing: " + ", ".join(names[:10])
                            + (" ..." if len(names) > 10 else ""))
    keys = [s.key for s in subs]
    _write_manifest(out_root, [s.relpath for s in subs], [s.relpath for s in class_subs],
                    {s.relpath: s.key for s in class_subs}, shard, fingerprint)
    _finish_outputs(result, [(s.relpath, s.key) for s in subs], override_table, override_note, keys,
                    class_report, assignment, similarity)
    result.elapsed = time.monotonic() - started
    return result


def _write_manifest(out_root, names, class_names, keys, shard, fingerprint, **more):
    data = {"shard": list(shard) if shard else None, "submissions": names, "class": class_names, "keys": keys,
            "class_digest": _class_digest(class_names), "grader_fingerprint": fingerprint, **more}
    (Path(out_root) / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _class_digest(names):
    return hashlib.sha256("\0".join(names).encode()).hexdigest()


def _finish_outputs(result, entries, override_table, override_note, keys, class_report, assignment, similarity):
    """Overrides, rows, similarity, gradebook, LMS files and class report from ``OUT/<key>/``.

    entries: [(submission relpath, key)] in gradebook order; a key of None gets a ``missing`` row.
    """
    out_root = Path(result.out_root)
    for relpath, key in entries:
        if key is not None:
            apply_overrides(out_root / key, override_table.get(key, []))
    if override_note:
        result.notes.append(override_note)
    rows = [gradebook_row(relpath, out_root / key) if key is not None else
            empty_row(relpath, "missing", "its shard was not among the merged directories") for relpath, key in entries]
    if similarity:
        codes = {}
        for key in keys:
            try:
                codes[key] = (out_root / key / CODE_FILE).read_text(encoding="utf-8")
            except OSError:
                pass
        try:
            result.similar = similar_pairs(codes, caches={key: out_root / key / SIMILARITY_CACHE for key in codes})
        except Exception as error:      # a flag for a person to look at must never cost the gradebook
            result.notes.append(f"similarity could not be computed ({type(error).__name__}: {error})")
        others = partners(result.similar)
        by_key = {row["key"]: row["submission"] for row in rows}
        for row in rows:
            row["similar_to"] = LIST_SEPARATOR.join(by_key.get(k, k) for k in others.get(row["key"], []))
    result.rows = rows
    result.gradebook = write_gradebook(rows, out_root / GRADEBOOK)
    identities = {row["key"]: read_identity(out_root / row["key"]) for row in rows if row["key"]}
    written = write_lms_files(out_root, rows, identities, assignment)
    result.lms_files = tuple(written)
    if rows and all(len(left_out) == len(rows) for left_out in written.values()):
        result.notes.append(f"{' and '.join(p.name for p in written)} have no rows: the submissions carry no LMS "
                            "id (give ROSTER= with ids or emails)")
    for path, left_out in written.items():
        if left_out and len(left_out) < len(rows):      # a file no row fits is for another LMS: no word
            result.notes.append(f"{len(left_out)} submission(s) are not in {path.name} (no id for that LMS; "
                                f"give ROSTER= with ids or emails): " + ", ".join(left_out[:5])
                                + (" ..." if len(left_out) > 5 else ""))
    if class_report:
        from grader.classroom.class_report import write_class_report
        result.class_report = write_class_report(out_root, rows, pairs=result.similar)
        from grader.classroom.answers_page import write_answers_page
        result.answers_page = write_answers_page(out_root, rows)
    return result


# ----------------------------------------------------------------------- merge

def _known(relpath, key, identity):
    """A submission as a merged OUT knows it (from its ``submission.json``), for overrides."""
    fields = {k: v for k, v in identity.items() if k in Submission.__dataclass_fields__ and k != "path"}
    return Submission(path=Path(relpath), **{**fields, "relpath": relpath, "key": key})


def merge_shards(shard_dirs, out_root, *, allow_partial=False, class_report=True, overrides=None,
                 assignment=DEFAULT_ASSIGNMENT, similarity=True):
    """Combine the OUT directories of several :func:`grade_batch` runs (shards) into ``out_root``.

    Copies each submission's results directory into ``out_root`` (unless it is
    already there), then writes one gradebook, ``shard.json``, the LMS files and the
    class report. The shards' ``shard.json`` files must describe the same class and
    fit together: the same n, each k once, every submission exactly once.
    ``allow_partial``: merge what is there; the submissions of missing shards get
    rows with status ``missing``. ``overrides``: an overrides CSV; without one, the
    overrides the shards were graded with (they must agree). Returns a
    :class:`BatchResult` (nothing graded).
    """
    started = time.monotonic()
    out_root = Path(out_root)
    manifests = []
    for directory in map(Path, shard_dirs):
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError
        except (OSError, ValueError):
            raise BatchError(f"{directory} holds no readable {MANIFEST}: not the output of a grade-batch run") from None
        manifests.append((directory, manifest))
    if not manifests:
        raise BatchError("nothing to merge")

    classes = {_class_digest(m.get("class") or []) for _, m in manifests}
    if len(classes) != 1:
        raise BatchError("the shards were made from different sets of submissions; grade them from the same directory")
    class_names = list(manifests[0][1].get("class") or [])
    keys = dict(manifests[0][1].get("keys") or {})
    sizes = {m["shard"][1] if m.get("shard") else 1 for _, m in manifests}
    if len(sizes) != 1:
        raise BatchError(f"the shards split the class differently (n = {', '.join(map(str, sorted(sizes)))})")
    n = sizes.pop()
    seen_k = Counter(m["shard"][0] if m.get("shard") else 1 for _, m in manifests)
    repeated = sorted(k for k, count in seen_k.items() if count > 1)
    if repeated:
        raise BatchError(f"shard(s) {', '.join(f'{k}/{n}' for k in repeated)} given more than once")
    missing_k = sorted(set(range(1, n + 1)) - set(seen_k))
    if missing_k and not allow_partial:
        raise BatchError(f"shard(s) {', '.join(f'{k}/{n}' for k in missing_k)} missing "
                         "(allow_partial / --allow-partial merges what is there)")

    owner = {}
    for directory, manifest in manifests:
        for name in manifest.get("submissions", []):
            if name in owner:
                raise BatchError(f"{name} is in two shards ({owner[name]} and {directory})")
            owner[name] = directory
    unknown = set(owner) - set(class_names)
    if unknown:
        raise BatchError(f"{len(unknown)} submission(s) not in the class the shards were made from")

    stored = {d: (d / OVERRIDES_FILE).read_bytes() for d, _ in manifests if (d / OVERRIDES_FILE).is_file()}
    if overrides is None and stored:
        if len(set(stored.values())) > 1 or len(stored) != len(manifests):
            raise BatchError("the shards were graded with different overrides; give the ones to use (--overrides)")
        overrides = next(iter(stored))  / OVERRIDES_FILE

    out_root.mkdir(parents=True, exist_ok=True)
    for name, directory in owner.items():
        key = keys.get(name) or Path(name).stem
        source, target = directory / key, out_root / key
        if source.is_dir() and source.resolve() != target.resolve():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, symlinks=True)

    known = [_known(name, keys.get(name) or Path(name).stem, read_identity(out_root / (keys.get(name) or Path(name).stem)))
             for name in class_names if name in owner]
    override_table, override_note = _overrides_for(out_root, overrides, known)
    fingerprints = {m.get("grader_fingerprint") for _, m in manifests}
    result = BatchResult(out_root=out_root, fingerprint=fingerprints.pop() if len(fingerprints) == 1 else "")
    result.resumed = sorted(owner)
    _write_manifest(out_root, sorted(owner), class_names, keys, None, result.fingerprint,
                    merged_from=[str(d) for d, _ in manifests], missing_shards=[f"{k}/{n}" for k in missing_k])
    entries = [(name, (keys.get(name) or Path(name).stem) if name in owner else None) for name in class_names]
    _finish_outputs(result, entries, override_table, override_note, [k for _, k in entries if k is not None],
                    class_report, assignment, similarity)
    result.elapsed = time.monotonic() - started
    return result
