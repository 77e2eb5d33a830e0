"""Grade a whole class: every ``*.ipynb`` of a directory, several at a time.

    result = grade_batch("submissions/", "out/", jobs=4)            # all of them
    result = grade_batch("submissions/", "out/shard-2", shard=(2, 4))  # the 2nd of 4 disjoint shares
    merged = merge_shards(["out/shard-1", ..., "out/shard-4"], "out/class")

Each submission is graded by :func:`grader.pipeline.grade_notebook` in a worker
of a process pool (``forkserver`` start method; each worker is the leader of
its own process group). What one notebook does never stops the batch:

* an exception anywhere in grading -> status ``grader_error`` (with the traceback's last line);
* a worker process that dies (the pool breaks) -> the submissions that were in
  flight are graded again one at a time; the one that kills its worker alone
  is ``grader_error``; the others get their real grade;
* a submission still running after ``timeout`` seconds (wall clock) -> its
  worker's process group is killed, status ``timeout``; the others in flight
  are graded again.

A submission stopped this way still gets ``OUT/<stem>/results.json`` (and the
feedback files), written by the parent.

Work that is the same for every student -- the reference's trained outcomes
(:func:`grader.reference_outcomes.reference_training` for exercises 1, 2, 3) --
is computed once in the parent (or read from ``OUT/.cache/``) and shipped to the
workers, which :func:`grader.reference_outcomes.preload` it.

Resuming: ``OUT/<stem>/.grade-key`` records the notebook's sha256, the grader's
fingerprint (:func:`grader_fingerprint`: a hash of grader/, reference/ and
data/*.mat) and a hash of the configuration. A submission whose key is
unchanged and whose results.json is readable is not graded again, unless its
status was ``grader_error`` (``force`` grades everything). Before a submission
is graded again, the files an earlier grading wrote in its directory are removed.

Outputs in ``OUT``: ``gradebook.csv`` (:data:`GRADEBOOK_COLUMNS`, one row per
notebook, in sorted order), ``shard.json`` (which share of which class this
directory holds, for :func:`merge_shards`), ``class_report.html`` /
``class_report.md`` (:mod:`grader.class_report`).
"""
import csv
import dataclasses
import hashlib
import json
import multiprocessing
import os
import queue as queue_module
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .config import GraderConfig
from .model import EXERCISES, GradingRun
from .written_work import ANSWERS_DIR

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FINGERPRINT_DIRS = ("grader", "reference")
FINGERPRINT_GLOBS = ("data/*.mat",)
REFERENCE_EXERCISES = ("1", "2", "3")

GRADEBOOK = "gradebook.csv"
MANIFEST = "shard.json"
KEY_FILE = ".grade-key"
CACHE_DIR = ".cache"
GRADEBOOK_COLUMNS = (["submission", "score", *EXERCISES, "status"]
                     + ["execution_time", "seed", "tests_failed", "tests_total",
                        "grader_version", "grader_fingerprint", "message"])
TIMING_COLUMNS = ("execution_time",)     # differ from run to run; everything else is reproducible
NOT_A_RESULTS_DIR = {"", ".", ".."}      # stems that name no directory of their own ("..ipynb")
PREVIOUS_OUTPUTS = (KEY_FILE, "results.json", "feedback.md", "feedback.html", "*.executed.ipynb",
                    "decision_boundary_*.png", "gradient_blocks_*.png",
                    f"{ANSWERS_DIR}/*")   # removed before grading again
BOOT_GRACE = 120.0                       # seconds a worker may take to start before its task's clock runs


class BatchError(RuntimeError):
    """The batch cannot run at all (no such directory, bad shard, shards that do not fit together)."""


# --------------------------------------------------------------------- identity

def grader_fingerprint(root=PROJECT_ROOT):
    """A hash of everything that decides a grade: the files of grader/ and reference/ and data/*.mat.

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


def class_submissions(submissions_dir):
    """Every ``*.ipynb`` of the directory (not its subdirectories), sorted by file name."""
    directory = Path(submissions_dir)
    if not directory.is_dir():
        raise BatchError(f"{directory} is not a directory")
    return sorted(directory.glob("*.ipynb"), key=lambda p: p.name)


def shard_of(paths, shard):
    """The ``k``-th of ``n`` shares of the sorted list: every n-th, starting at index k-1.

    Disjoint, together they cover the list, and no two shares differ by more than one.
    """
    if shard is None:
        return list(paths)
    k, n = parse_shard(shard)
    return [path for index, path in enumerate(paths) if index % n == k - 1]


# ------------------------------------------------------------------- reference

def reference_outcomes(config, cache_dir=None, fingerprint=None):
    """{(exercise, restarts): (accuracy, W)} for exercises 1-3, computed once (or read from ``cache_dir``)."""
    import numpy as np

    from .reference_outcomes import reference_training

    restarts = int(config.train_restarts)
    cache = None
    if cache_dir is not None and fingerprint:
        cache = Path(cache_dir) / f"reference-{fingerprint[:16]}-r{restarts}.json"
        try:
            stored = json.loads(cache.read_text(encoding="utf-8"))
            return {(exercise, restarts): (float(stored[exercise]["accuracy"]),
                                           np.asarray(stored[exercise]["W"], dtype=float))
                    for exercise in REFERENCE_EXERCISES}
        except (OSError, ValueError, KeyError, TypeError):
            pass
    outcomes = {(exercise, restarts): reference_training(exercise, restarts) for exercise in REFERENCE_EXERCISES}
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            data = {exercise: {"accuracy": float(acc), "W": np.asarray(W, dtype=float).tolist()}
                    for (exercise, _), (acc, W) in outcomes.items()}   # repr of a float64 round-trips exactly
            tmp = cache.with_name(cache.name + ".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass
    return outcomes


# ---------------------------------------------------------------------- worker

_ANNOUNCE = None


def _exit_when_gone(parent_pid, every=2.0):
    """Leave when the batch's parent process is gone (killed from outside): the workers hold the
    pool's queues open themselves, so they would otherwise wait for work forever, and keep the
    forkserver alive with them. A worker's sandboxed kernel dies with it (--die-with-parent)."""
    def watch():
        while True:
            time.sleep(every)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_init(announce, reference, tmpdir, parent_pid):
    """Runs once in each worker: own process group, private temp dir, the reference outcomes,
    and an exit of its own if the parent disappears."""
    global _ANNOUNCE
    _ANNOUNCE = announce
    _exit_when_gone(parent_pid)
    try:
        os.setpgrp()        # the parent can kill the worker and whatever it started, as one group
    except OSError:
        pass
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")   # jobs processes share the cores; BLAS threads would oversubscribe them
    os.environ.setdefault("MPLBACKEND", "Agg")
    if tmpdir:
        os.environ["TMPDIR"] = tmpdir
        tempfile.tempdir = tmpdir
    if reference:
        from .reference_outcomes import preload
        preload(reference)
    announce.put(("hello", os.getpid(), None))


def _peak_rss_mb(who):
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(who).ru_maxrss / 1024.0


def _grade_task(path, out_root, config, task_id, grade_function=None):
    """Grade one notebook in a worker; never raises for what the notebook does."""
    if _ANNOUNCE is not None:
        _ANNOUNCE.put(("start", os.getpid(), task_id))
    started = time.monotonic()
    outcome = {"task": task_id, "pid": os.getpid()}
    try:
        if grade_function is None:
            from .pipeline import grade_notebook as grade_function
        else:                                  # "module:qualname", imported once the task is announced
            import importlib
            module, _, qualname = grade_function.partition(":")
            grade_function = importlib.import_module(module)
            for part in qualname.split("."):
                grade_function = getattr(grade_function, part)
        run = grade_function(Path(path), Path(out_root), config)
        outcome.update(status=run.status, score=float(run.score), message=run.message)
    except Exception as error:
        message = (f"The grader failed: {type(error).__name__}: {error}\n"
                   + "".join(traceback.format_exc(limit=-3)))
        write_stopped(path, out_root, config, "grader_error", message, time.monotonic() - started)
        outcome.update(status="grader_error", score=0.0, message=message)
    outcome.update(seconds=time.monotonic() - started, worker_rss_mb=_peak_rss_mb(resource.RUSAGE_SELF),
                   kernel_rss_mb=_peak_rss_mb(resource.RUSAGE_CHILDREN))
    return outcome


def write_stopped(path, out_root, config, status, message, elapsed=0.0):
    """results.json (and feedback) for a submission the batch had to stop: no tests, score 0, why."""
    from .probes import seed_for
    from .report import report

    path = Path(path)
    run = GradingRun(notebook_path=path, out_dir=Path(out_root) / path.stem, config=config)
    try:
        run.seed = config.seed if config.seed is not None else seed_for(path.read_bytes())
    except OSError:
        run.seed = 0
    run.stop(status, message)
    run.execution_time = elapsed
    try:
        report(run)
    except Exception:
        from .results_json import write_results
        write_results(run, run.out_dir / "results.json")
    return run


# ---------------------------------------------------------------------- result

@dataclass
class BatchResult:
    """What :func:`grade_batch` (or :func:`merge_shards`) did.

    rows: the gradebook rows (dicts keyed by :data:`GRADEBOOK_COLUMNS`), in order.
    graded: names graded by this call; resumed: names skipped as unchanged.
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
    answers_page: Path | None = None      # written_answers.html, the TAs' page of written answers and plots

    @property
    def statuses(self):
        """Counter of the rows' statuses."""
        return Counter(row["status"] for row in self.rows)

    def summary(self):
        counts = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
        shard = f" (shard {self.shard[0]}/{self.shard[1]})" if self.shard else ""
        return (f"{len(self.rows)} submissions{shard}: {counts or 'none'}; {len(self.graded)} run now, "
                f"{len(self.resumed)} kept (unchanged since their last grading); {self.elapsed:.1f} s")


# ------------------------------------------------------------------- gradebook

def _number(value):
    try:
        return format(round(float(value), 4), "g")
    except (TypeError, ValueError, OverflowError):
        return "0"


def _why(results):
    """The line of results.json's output that says why grading stopped (or its first line)."""
    lines = [line.strip() for line in str(results.get("output", "")).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Grading stopped early:"):
            return line.split(":", 1)[1].strip()
    return lines[0] if lines else ""


def read_key(result_dir):
    try:
        return json.loads((Path(result_dir) / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def gradebook_row(name, result_dir):
    """One gradebook row for the notebook ``name`` from its ``result_dir`` (results.json, .grade-key)."""
    from .report import read_results
    from .results_json import one_line

    row = {column: "" for column in GRADEBOOK_COLUMNS}
    row["submission"] = name
    try:
        results = read_results(result_dir)
        if not isinstance(results, dict):
            raise ValueError("results.json is not an object")
    except (OSError, ValueError) as error:
        row.update({"score": "0", **{number: "0" for number in EXERCISES}, "status": "grader_error",
                    "message": f"no readable results.json ({type(error).__name__})"})
        return row
    extra = results.get("extra_data") if isinstance(results.get("extra_data"), dict) else {}
    tests = [t for t in results.get("tests", []) if isinstance(t, dict)]
    scores = extra.get("exercise_scores") if isinstance(extra.get("exercise_scores"), dict) else {}
    if not scores:
        scores = {}
        for test in tests:
            scores[test.get("number")] = scores.get(test.get("number"), 0.0) + float(test.get("score", 0) or 0)
    status = one_line(extra.get("status", "graded") or "graded", 40)
    key = read_key(result_dir) or {}
    row.update({
        "score": _number(results.get("score", 0)),
        **{number: _number(scores.get(number, 0)) for number in EXERCISES},
        "status": status,
        "execution_time": _number(results.get("execution_time", 0)),
        "seed": str(extra.get("seed", "")),
        "tests_failed": str(sum(1 for t in tests if t.get("status") != "passed")),
        "tests_total": str(len(tests)),
        "grader_version": one_line(extra.get("grader_version", ""), 40),
        "grader_fingerprint": str(key.get("grader_fingerprint", ""))[:16],
        "message": "" if status == "graded" else one_line(_why(results), 300),
    })
    return row


def _csv_cell(value):
    """Text as a spreadsheet shows it, never as a formula (a file name may start with '=')."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def write_gradebook(rows, path):
    """Write the rows to ``path`` as CSV (columns :data:`GRADEBOOK_COLUMNS`), atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=GRADEBOOK_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: _csv_cell(row.get(column, "")) for column in GRADEBOOK_COLUMNS})
    os.replace(tmp, path)
    return path


def read_gradebook(path):
    """The rows of a gradebook.csv as dicts (values as written)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _unplaceable_row(name):
    row = {column: "" for column in GRADEBOOK_COLUMNS}
    row.update({"submission": name, "score": "0", **{number: "0" for number in EXERCISES},
                "status": "unreadable", "tests_failed": "0", "tests_total": "0",
                "message": "the file name leaves no name for its results directory; rename the notebook"})
    return row


def _row_for(path, out_root):
    if path.stem in NOT_A_RESULTS_DIR:
        return _unplaceable_row(path.name)
    return gradebook_row(path.name, Path(out_root) / path.stem)


def _class_digest(names):
    return hashlib.sha256("\0".join(names).encode()).hexdigest()


def _write_manifest(out_root, names, class_names, shard, fingerprint):
    data = {"shard": list(shard) if shard else None, "submissions": names, "class": class_names,
            "class_digest": _class_digest(class_names), "grader_fingerprint": fingerprint}
    (Path(out_root) / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _finish_outputs(result, class_report):
    result.gradebook = write_gradebook(result.rows, Path(result.out_root) / GRADEBOOK)
    if class_report:
        from .class_report import write_class_report
        result.class_report = write_class_report(result.out_root, result.rows)
        from .answers_page import write_answers_page
        result.answers_page = write_answers_page(result.out_root, result.rows)
    return result


# ----------------------------------------------------------------------- batch

@dataclass
class _Task:
    index: int
    path: Path
    key: dict
    submitted: float = 0.0
    started: float | None = None
    pid: int | None = None
    isolated: bool = False
    timed_out: bool = False
    not_sent: bool = False      # the pool was already broken when this was submitted
    requeued: int = 0


class _Pool:
    """A process pool plus what the parent learns from its workers (their pids, who runs what)."""

    def __init__(self, jobs, reference, tmpdir):
        context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                              else "spawn")
        self.announce = context.Queue()
        self.pids = set()
        self.running = {}      # task id -> (pid, monotonic start)
        self.executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_init,
                                            initargs=(self.announce, reference, tmpdir, os.getpid()))

    def drain(self):
        while True:
            try:
                kind, pid, task_id = self.announce.get_nowait()
            except (queue_module.Empty, EOFError, OSError, ValueError):
                return
            self.pids.add(pid)
            if kind == "start":
                self.running[task_id] = (pid, time.monotonic())

    def all_pids(self):
        pids = set(self.pids)
        processes = getattr(self.executor, "_processes", None) or {}
        pids.update(pid for pid in list(processes))
        return pids

    def kill_tree(self, pid):
        """SIGKILL a worker of this pool, its process group and its descendants (the notebook kernel,
        which jupyter_client starts in a group of its own). Only a process descended from this one."""
        descendants = []
        try:
            import psutil
            process = psutil.Process(pid)
            if os.getpid() not in {parent.pid for parent in process.parents()}:
                return                      # not (or no longer) one of ours
            descendants = process.children(recursive=True)
        except ImportError:
            pass
        except Exception:                   # gone already
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        for process in [pid, *descendants]:
            try:
                os.kill(getattr(process, "pid", process), signal.SIGKILL)
            except OSError:
                pass

    def close(self, kill=False):
        if kill:
            for pid in self.all_pids():
                self.kill_tree(pid)
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        except Exception:
            pass
        try:
            self.announce.close()
            self.announce.join_thread()
        except Exception:
            pass


def default_timeout(config):
    """Wall-clock cap for one submission: far above what the grader's own limits allow."""
    return 2 * float(config.notebook_timeout) + 600.0


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
                write_stopped(task.path, self.out_root, self.config, status, message, elapsed)
            except Exception as error:    # not even a results.json: the gradebook says grader_error
                print(f"could not write results for {task.path.name}: {error}", file=sys.stderr)
        key_path = self.out_root / task.path.stem / KEY_FILE
        try:
            key_path.parent.mkdir(parents=True, exist_ok=True)
            key_path.write_text(json.dumps({**task.key, "status": status}) + "\n", encoding="utf-8")
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
                    pool = _Pool(self.jobs, self.reference, tmpdir)
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
            future = pool.executor.submit(_grade_task, str(task.path), str(self.out_root), self.config, task.index,
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


def grade_batch(submissions_dir, out_root, jobs=None, config=None, shard=None, *, timeout=None, force=False,
                progress=True, class_report=True, fingerprint=None, grade_function=None):
    """Grade every ``*.ipynb`` in ``submissions_dir`` (sorted) into ``out_root``; returns a :class:`BatchResult`.

    jobs: submissions graded at once (default ``os.cpu_count()``).
    shard: (k, n) or "k/n": grade only the k-th of n disjoint shares (:func:`shard_of`).
    timeout: wall-clock seconds per submission before it is stopped (:func:`default_timeout`).
    force: grade again even what is unchanged since its last grading.
    fingerprint: the grader's version for resuming (default :func:`grader_fingerprint`).
    grade_function: what grades one notebook in a worker, ``f(path, out_root, config) -> GradingRun``
    writing ``out_root/<stem>/results.json`` (default :func:`grader.pipeline.grade_notebook`);
    a module-level function, as it is sent to the workers.
    Writes ``out_root/<stem>/results.json`` for every submission, ``gradebook.csv``,
    ``shard.json`` and (``class_report``) the class report.
    """
    started = time.monotonic()
    config = config or GraderConfig()
    class_paths = class_submissions(submissions_dir)
    shard = parse_shard(shard) if shard is not None else None
    paths = shard_of(class_paths, shard)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    timeout = float(timeout) if timeout else default_timeout(config)
    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    fingerprint = fingerprint or grader_fingerprint()
    result = BatchResult(out_root=out_root, shard=shard, fingerprint=fingerprint, jobs=jobs)

    settings = config_digest(config)
    tasks = []
    for index, path in enumerate(paths):
        if path.stem in NOT_A_RESULTS_DIR:
            continue
        key = {"notebook_sha256": notebook_digest(path), "grader_fingerprint": fingerprint, "config": settings}
        result_dir = out_root / path.stem
        stored = read_key(result_dir)
        # a grader_error is the grader's failure, not a grade: it is always tried again
        if (not force and stored and all(stored.get(k) == v for k, v in key.items())
                and stored.get("status") != "grader_error"):
            try:
                json.loads((result_dir / "results.json").read_text(encoding="utf-8"))
                result.resumed.append(path.name)
                continue
            except (OSError, ValueError):
                pass
        _clear_previous(result_dir)
        tasks.append(_Task(index, path, key))

    if progress:
        print(f"{len(paths)} submissions" + (f" (shard {shard[0]}/{shard[1]} of {len(class_paths)})" if shard else "")
              + f": {len(tasks)} to grade, {len(result.resumed)} unchanged since their last grading", file=sys.stderr)
    if tasks:
        reference_started = time.monotonic()
        # a custom grade_function (tests) may not need the reference: it is then not trained
        reference = reference_outcomes(config, out_root / CACHE_DIR, fingerprint) if grade_function is None else None
        result.reference_seconds = time.monotonic() - reference_started
        function_name = None if grade_function is None else f"{grade_function.__module__}:{grade_function.__qualname__}"
        batch = _Batch(tasks, out_root, min(jobs, len(tasks)), config, timeout, reference, progress, function_name)
        batch.run()
        result.graded = [task.path.name for task in tasks]
        result.pool_restarts = batch.restarts
        result.worker_rss_mb, result.kernel_rss_mb = batch.worker_rss, batch.kernel_rss

    result.rows = [_row_for(path, out_root) for path in paths]
    _write_manifest(out_root, [p.name for p in paths], [p.name for p in class_paths], shard, fingerprint)
    _finish_outputs(result, class_report)
    result.elapsed = time.monotonic() - started
    return result


# ----------------------------------------------------------------------- merge

def merge_shards(shard_dirs, out_root, *, allow_partial=False, class_report=True):
    """Combine the OUT directories of several :func:`grade_batch` runs (shards) into ``out_root``.

    Copies each submission's results directory into ``out_root`` (unless it is
    already there), then writes one gradebook, ``shard.json`` and the class
    report. The shards' ``shard.json`` files must describe the same class and
    fit together: the same n, each k once, every submission exactly once.
    ``allow_partial``: merge what is there; the submissions of missing shards get
    rows with status ``missing``. Returns a :class:`BatchResult` (nothing graded).
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

    out_root.mkdir(parents=True, exist_ok=True)
    for name, directory in owner.items():
        stem = Path(name).stem
        if stem in NOT_A_RESULTS_DIR:
            continue
        source, target = directory / stem, out_root / stem
        if source.is_dir() and source.resolve() != target.resolve():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, symlinks=True)

    fingerprints = {m.get("grader_fingerprint") for _, m in manifests}
    result = BatchResult(out_root=out_root, fingerprint=fingerprints.pop() if len(fingerprints) == 1 else "")
    result.resumed = sorted(owner)
    result.rows = [_row_for(Path(name), out_root) if name in owner else _missing_row(name)
                   for name in class_names]
    data = {"shard": None, "submissions": sorted(owner), "class": class_names,
            "class_digest": _class_digest(class_names), "grader_fingerprint": result.fingerprint,
            "merged_from": [str(d) for d, _ in manifests], "missing_shards": [f"{k}/{n}" for k in missing_k]}
    (out_root / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    _finish_outputs(result, class_report)
    result.elapsed = time.monotonic() - started
    return result


def _missing_row(name):
    row = {column: "" for column in GRADEBOOK_COLUMNS}
    row.update({"submission": name, "score": "0", **{number: "0" for number in EXERCISES},
                "status": "missing", "tests_failed": "0", "tests_total": "0",
                "message": "its shard was not among the merged directories"})
    return row
