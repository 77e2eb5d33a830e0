"""The batch's process pool: what runs in each worker (one grading, in its own process group, with
the reference's outcomes preloaded and an exit of its own when the parent is gone), the results.json
of a submission the batch had to stop, and the pool as the parent sees it (who runs what, and how to
kill a worker with everything it started)."""
import multiprocessing
import os
import queue as queue_module
import resource
import signal
import tempfile
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.model import GradingRun


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
        # imported here, once the environment above is set: numpy's BLAS reads its thread count at import
        from assignment.kit.reference_runs import preload
        preload(reference)
    announce.put(("hello", os.getpid(), None))


def _peak_rss_mb(who):
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(who).ru_maxrss / 1024.0


def grade_task(path, out_dir, config, task_id, grade_function=None):
    """Grade one notebook into ``out_dir`` in a worker; never raises for what the notebook does."""
    if _ANNOUNCE is not None:
        _ANNOUNCE.put(("start", os.getpid(), task_id))
    started = time.monotonic()
    outcome = {"task": task_id, "pid": os.getpid()}
    try:
        if grade_function is None:     # imported in the worker, after its environment is set (see _worker_init)
            from grader.pipeline import grade_notebook as grade_function
        else:                                  # "module:qualname", imported once the task is announced
            import importlib
            module, _, qualname = grade_function.partition(":")
            grade_function = importlib.import_module(module)
            for part in qualname.split("."):
                grade_function = getattr(grade_function, part)
        run = grade_function(Path(path), Path(out_dir).parent, config, out_dir=Path(out_dir))
        outcome.update(status=run.status, score=float(run.score), message=run.message)
    except Exception as error:
        message = (f"The grader failed: {type(error).__name__}: {error}\n"
                   + "".join(traceback.format_exc(limit=-3)))
        write_stopped(path, out_dir, config, "grader_error", message, time.monotonic() - started)
        outcome.update(status="grader_error", score=0.0, message=message)
    outcome.update(seconds=time.monotonic() - started, worker_rss_mb=_peak_rss_mb(resource.RUSAGE_SELF),
                   kernel_rss_mb=_peak_rss_mb(resource.RUSAGE_CHILDREN))
    return outcome


def write_stopped(path, out_dir, config, status, message, elapsed=0.0):
    """results.json (and feedback) in ``out_dir`` for a submission the batch had to stop: no tests, score 0, why."""
    # here, as grade_task's pipeline: in a worker once its environment is set, in the parent only when needed
    from assignment.kit.plan import seed_for
    from grader.stages.report import report

    path = Path(path)
    run = GradingRun(notebook_path=path, out_dir=Path(out_dir), config=config)
    try:
        run.seed = config.seed if config.seed is not None else seed_for(path.read_bytes())
    except OSError:
        run.seed = 0
    run.stop(status, message)
    run.execution_time = elapsed
    try:
        report(run)
    except Exception:
        from grader.reports.results_json import write_results     # here: see the imports above
        write_results(run, run.out_dir / "results.json")
    return run


@dataclass
class Task:
    index: int
    path: Path
    grade_key: dict             # what makes a stored grading reusable (notebook, grader, configuration)
    out_dir: Path
    submitted: float = 0.0
    started: float | None = None
    pid: int | None = None
    isolated: bool = False
    timed_out: bool = False
    not_sent: bool = False      # the pool was already broken when this was submitted
    requeued: int = 0
    estimate: float = 0.0       # seconds its grading is expected to take (grader.classroom.ordering)


class WorkerPool:
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
