"""Grade a whole class, as an LMS hands it over, several notebooks at a time.

    result = grade_batch("submissions/", "out/", BatchOptions(jobs=4))          # all of them
    result = grade_batch("canvas.zip", "out/", BatchOptions(roster="roster.csv", overrides="overrides.csv"))
    result = grade_batch("submissions/", "out/", BatchOptions(only="alice"))    # regrade one into a graded OUT
    result = grade_batch("submissions/", "out/shard-2", BatchOptions(shard=(2, 4)))  # the 2nd of 4 disjoint shares
                                                                                 # (grader.classroom.shards merges them)

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
fingerprint (:func:`grader_fingerprint`: a hash of project/, assignment/, grader/, reference/,
student_template/ and data/*.mat) and a hash of the configuration. A submission whose key is
unchanged and whose results.json is readable is not graded again, unless its
status was ``grader_error`` (``force`` grades everything). Before a submission
is graded again, the files an earlier grading wrote in its directory are removed.

After grading, every run rebuilds the class's files in ``OUT`` (the gradebook, the LMS files,
the class report: :func:`grader.classroom.outputs.finish_outputs`) and records which share of
which class it graded (``shard.json``, :mod:`grader.classroom.shards`).
"""
import dataclasses
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from project import PROJECT_ROOT, tree_digest
from grader.classroom.attempts import ATTEMPTED_FILE, attempted_json
from grader.classroom.gradebook import GRADEBOOK, IDENTITY_FILE, KEY_FILE, read_key
from grader.classroom.lms_export import DEFAULT_ASSIGNMENT, LmsOptions
from grader.classroom.outputs import BatchError, BatchResult, finish_outputs, overrides_for
from grader.classroom.overrides import RAW_FILES, has_raw, is_adjusted, keep_raw
from grader.classroom.batch_run import BatchRun, default_timeout
from grader.classroom.ordering import estimated_seconds
from grader.classroom.pool import Task, write_stopped
from grader.classroom.shards import parse_shard, shard_of, write_manifest
from grader.classroom.similarity import CODE_FILE, notebook_code, start_fingerprints
from grader.classroom.keys import SelectError, select
from grader.classroom.submissions import SubmissionsError, find_submissions, parse_due
from grader.config import GraderConfig
from grader.kernel.sandbox import resolve_level
from grader.reports.text import write_text_if_changed
from grader.reports.written_work import ANSWERS_DIR

FINGERPRINT_DIRS = ("project", "assignment", "grader", "reference", "student_template")
FINGERPRINT_GLOBS = ("data/*.mat",)

UNPACKED_DIR = ".submissions"            # where a SUBMISSIONS zip is unpacked
NO_NOTEBOOK = "no_notebook"              # the status of a submission that holds no notebook (as on Gradescope)
PREVIOUS_OUTPUTS = (KEY_FILE, "results.json", "feedback.md", "feedback.html", "feedback.json", "*.executed.ipynb",
                    "decision_boundary_*.png", "gradient_blocks_*.png",
                    *RAW_FILES.values(), f"{ANSWERS_DIR}/*")   # removed before grading again


# --------------------------------------------------------------------- identity

def grader_fingerprint(root=PROJECT_ROOT):
    """A hash of everything that decides a grade: the files of FINGERPRINT_DIRS and data/*.mat.

    Any change to one of them (a tolerance, a check, the reference, the data)
    changes the fingerprint, so a resumed batch grades everything again.
    """
    return tree_digest(root, FINGERPRINT_DIRS, FINGERPRINT_GLOBS)


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


# ------------------------------------------------------------------- reference

def reference_outcomes(config):
    """{(network, restarts): (accuracy, W)} for every trained network of the assignment, computed once
    in the parent (or read from the one on-disk cache, assignment/kit/reference_cache.py) and shipped
    to the workers."""
    # here, not at the top: start-up time (the assignment takes seconds to import, and a resumed batch with
    # nothing to grade never needs it)
    from assignment import TRAINED
    from assignment.kit.reference_runs import reference_training

    restarts = int(config.train_restarts)
    return {(network, restarts): reference_training(network, restarts) for network in TRAINED}


# ----------------------------------------------------------------------- batch

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


def _prepare_dir(submission, out_root):
    """Record who handed in the notebook, its code (for similarity) and the exercises it attempted
    (for the class report) beside its results."""
    result_dir = out_root / submission.key
    result_dir.mkdir(parents=True, exist_ok=True)
    identity = json.dumps(submission.identity(), indent=1, ensure_ascii=False) + "\n"
    code = notebook_code(submission.path)
    for name, text in ((IDENTITY_FILE, identity), (CODE_FILE, code), (ATTEMPTED_FILE, attempted_json(submission.path))):
        write_text_if_changed(result_dir / name, text)
    return result_dir


@dataclass
class BatchOptions:
    """How :func:`grade_batch` grades a class (every field has a default).

    jobs: submissions graded at once (default ``os.cpu_count()``).
    config: the grading's limits and tolerances (default :class:`GraderConfig`).
    shard: (k, n) or "k/n": grade only the k-th of n disjoint shares (:func:`shard_of`).
    timeout: wall-clock seconds per submission before it is stopped (:func:`default_timeout`).
    force: grade again even what is unchanged since its last grading.
    progress: a progress bar and a first line on stderr.
    class_report: write the class report and the TAs' page of written answers.
    fingerprint: the grader's version for resuming (default :func:`grader_fingerprint`).
    grade_function: what grades one notebook in a worker, ``f(path, out_root, config, out_dir=...)
    -> GradingRun`` writing ``out_dir/results.json`` (default :func:`grader.pipeline.grade_notebook`);
    a module-level function, as it is sent to the workers.
    roster: a roster CSV (names, emails, SIS ids). due: a datetime or ISO text; later submissions are late.
    overrides: an overrides CSV (:mod:`grader.classroom.overrides`). only: regrade just the submission this names
    (key, file, path, student, name or email) into an ``out_root`` graded before.
    assignment: what goes into the LMS files, :class:`grader.classroom.lms_export.LmsOptions` (which files,
    Canvas's column, blank or 0 for nothing gradable), or just Canvas's column name.
    similarity: flag near-identical pairs.
    """
    jobs: int | None = None
    config: GraderConfig | None = None
    shard: tuple | str | None = None
    timeout: float | None = None
    force: bool = False
    progress: bool = True
    class_report: bool = True
    fingerprint: str | None = None
    grade_function: Callable | None = None
    roster: str | Path | None = None
    overrides: str | Path | None = None
    only: str | None = None
    due: datetime | str | None = None
    assignment: LmsOptions | str = DEFAULT_ASSIGNMENT
    similarity: bool = True


def grade_batch(submissions_dir, out_root, options: BatchOptions | None = None) -> BatchResult:
    """Grade every submission found in ``submissions_dir`` into ``out_root`` as ``options`` say
    (:class:`BatchOptions`); returns a :class:`BatchResult`.

    submissions_dir: a folder tree, a zip, an LMS download (:func:`grader.classroom.submissions.find_submissions`).
    Writes ``out_root/<key>/results.json`` for every submission, ``gradebook.csv``, the LMS files,
    ``shard.json`` and (``options.class_report``) the class report.
    """
    options = options or BatchOptions()
    jobs, config, shard, timeout, grade_function, only = (options.jobs, options.config, options.shard,
                                                          options.timeout, options.grade_function, options.only)
    force, progress = options.force, options.progress
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
    found = _find(submissions_dir, out_root, options.roster, options.due)
    class_subs = found.submissions
    shard = parse_shard(shard) if shard is not None else None
    subs = shard_of(class_subs, shard)
    chosen = None
    if only is not None:
        try:
            chosen = select(class_subs, only)
        except SelectError as error:
            raise BatchError(str(error)) from None
        if chosen not in subs:
            raise BatchError(f"{chosen.relpath} is not in shard {shard[0]}/{shard[1]}")
    override_table, override_note = overrides_for(out_root, options.overrides, class_subs)
    timeout = float(timeout) if timeout else default_timeout(config)
    fingerprint = options.fingerprint or grader_fingerprint()
    result = BatchResult(out_root=out_root, shard=shard, fingerprint=fingerprint, jobs=jobs, source=found.source,
                         skipped=found.skipped, files=None if shard else found.files)

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
            key = {**key, "status": NO_NOTEBOOK, "held": submission.no_notebook}
            if force or chosen is not None or not stored or stored != key:
                _clear_previous(result_dir)
                write_stopped(submission.path, result_dir, config, NO_NOTEBOOK, submission.no_notebook)
                keep_raw(result_dir)
                (result_dir / KEY_FILE).write_text(json.dumps(key) + "\n", encoding="utf-8")
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
        estimate = estimated_seconds(submission.path, result_dir)      # an earlier grading's time, before it goes
        _clear_previous(result_dir)
        tasks.append(Task(index, submission.path, key, result_dir, estimate=estimate))

    if progress:
        print(f"{len(subs)} submissions" + (f" (shard {shard[0]}/{shard[1]} of {len(class_subs)})" if shard else "")
              + f" ({found.source}): {len(tasks)} to grade, {len(result.resumed)} unchanged since their last grading"
              + (f", {len(found.skipped)} files skipped" if found.skipped else ""), file=sys.stderr)
    if tasks:
        # a custom grade_function (tests) may not need the reference: it is then not trained
        reference = reference_outcomes(config) if grade_function is None else None
        function_name = None if grade_function is None else f"{grade_function.__module__}:{grade_function.__qualname__}"
        batch = BatchRun(tasks, out_root, min(jobs, len(tasks)), config, timeout, reference, progress, function_name)
        class_keys = [s.key for s in subs if s.key is not None]
        fingerprinting = start_fingerprints(out_root, class_keys) if options.similarity else None
        batch.run()
        if fingerprinting is not None:
            fingerprinting.join()
        by_path = {s.path: s.relpath for s in subs}
        result.graded = [by_path[task.path] for task in tasks]
        result.pool_restarts = batch.restarts
        result.worker_rss_mb, result.kernel_rss_mb = batch.worker_rss, batch.kernel_rss

    if found.roster_unmatched:
        names = [row["name"] or row["sis_id"] or row["email"] for row in found.roster_unmatched]
        result.notes.append(f"{len(names)} student(s) of the roster handed in nothing: " + ", ".join(names[:10])
                            + (" ..." if len(names) > 10 else ""))
    write_manifest(out_root, [s.relpath for s in subs], [s.relpath for s in class_subs],
                    {s.relpath: s.key for s in class_subs}, shard, fingerprint)
    finish_outputs(result, [(s.relpath, s.key) for s in subs], overrides=override_table, override_note=override_note,
                   class_report=options.class_report, lms=options.assignment, similarity=options.similarity)
    result.elapsed = time.monotonic() - started
    return result


