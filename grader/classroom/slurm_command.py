"""``python -m grader slurm``: find the class, write the job scripts, submit them, wait and say how it went.

    status = grade_on_slurm(Path("subs"), Path("/shared/out"), SlurmOptions(tasks=20), GraderConfig(),
                            grade_options=["--sandbox", "auto"], merge_options=[])

Exit status (returned): 0 when every task finished and the merge job wrote the gradebook; 1 when the
merge job did not run or failed, or ran with students missing (their tasks did not finish: the gradebook
and the class report list them, with why); 0 too after ``dry_run`` or ``wait=False`` once submitted.
"""
import sys
import zipfile
from pathlib import Path

from grader.classroom.batch import UNPACKED_DIR, config_digest, grader_fingerprint
from grader.classroom.outputs import BatchError
from grader.classroom.slurm import ARRAY_SCRIPT, MERGE_SCRIPT, SlurmLayout, SlurmOptions, plan_jobs, submit
from grader.classroom.slurm_queue import SlurmQueue
from grader.classroom.slurm_watch import ClassProgress, watch
from grader.classroom.submissions import SubmissionsError, find_submissions, parse_due, unpack_zip
from grader.config import GraderConfig


def find_class(submissions: Path, out: Path, roster=None, due=None):
    """The class the tasks will find: a zip is unpacked once, into ``OUT/.submissions``, and the tasks get
    the folder. Returns (folder, :class:`grader.classroom.submission_records.Found`)."""
    submissions = Path(submissions).resolve()
    if out == submissions or submissions in out.parents:
        raise BatchError(f"OUT ({out}) is inside SUBMISSIONS ({submissions}): the tasks would find the graded "
                         "notebooks there; choose an OUT outside it")
    try:
        if submissions.is_file() and zipfile.is_zipfile(submissions):
            submissions = unpack_zip(submissions, out / UNPACKED_DIR)
        found = find_submissions(submissions, roster=roster, due=parse_due(due) if isinstance(due, str) else due)
    except SubmissionsError as error:
        raise BatchError(str(error)) from None
    if not found.submissions:
        raise BatchError(f"no notebook (*.ipynb) found in {submissions}")
    return submissions, found


def grade_on_slurm(submissions: Path, out: Path, options: SlurmOptions, config: GraderConfig,
                   grade_options: list[str], merge_options: list[str], *, roster=None, due=None,
                   dry_run: bool = False, wait: bool = True, show: bool = True, force: bool = False,
                   queue: SlurmQueue | None = None) -> int:
    """Grade the class in ``submissions`` on Slurm into ``out`` (see the module's doc for the status).
    ``force``: the tasks grade everything again (``--force`` among ``grade_options``), for the progress."""
    out = Path(out).resolve()
    folder, found = find_class(submissions, out, roster, due)
    if options.tasks > len(found.submissions):
        raise BatchError(f"{options.tasks} Slurm tasks for {len(found.submissions)} submissions: "
                         f"give at most {len(found.submissions)}")
    layout = SlurmLayout(out, options.tasks)
    plan = plan_jobs(folder, layout, options, grade_options, merge_options)
    if dry_run:
        print(f"# {layout.root / ARRAY_SCRIPT}: sbatch {layout.root / ARRAY_SCRIPT}")
        print(plan.array_script)
        print(f"# {layout.root / MERGE_SCRIPT}: sbatch --dependency=afterany:ARRAY_JOB "
              f"{layout.root / MERGE_SCRIPT} ARRAY_JOB")
        print(plan.merge_script, end="")
        return 0
    queue = queue or SlurmQueue()
    run = submit(plan, queue)
    print(f"{len(found.submissions)} submissions ({found.source}) in {options.tasks} Slurm tasks of {options.cpus} "
          f"CPU(s): job array {run.array_job}; merge job {run.merge_job} runs when they have ended. "
          f"Logs: {layout.logs}", file=sys.stderr)
    if not wait:
        print(f"Not waiting: squeue -j {run.array_job},{run.merge_job} shows them; the merge job writes "
              f"{out / 'gradebook.csv'} and the class report.")
        return 0
    try:
        progress = ClassProgress(layout, found.submissions, grader_fingerprint(), config_digest(config), run, force)
        outcome = watch(run, layout, queue, progress, show=show)
    except KeyboardInterrupt:
        print(f"\nStopped waiting; the jobs go on (squeue -j {run.array_job},{run.merge_job}; "
              f"scancel {run.array_job} {run.merge_job} stops them).", file=sys.stderr)
        return 130
    merged = outcome.merged
    if merged is None:
        print(f"error: the merge job {run.merge_job} did not run ({outcome.merge_state or 'Slurm no longer knows'}); "
              f"see {layout.merge_log(run.merge_job)}. Nothing was merged into {out}.", file=sys.stderr)
        return 1
    if "error" in merged:
        print(f"error: the merge job {run.merge_job} failed: {merged['error']}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{count} {status}" for status, count in sorted(merged.get("statuses", {}).items()))
    print(f"{merged.get('submissions')} submissions: {counts}; merged from {len(merged.get('finished', []))} "
          f"of {run.tasks} tasks")
    if merged.get("similar_pairs"):
        print(f"{merged['similar_pairs']} pair(s) of near-identical submissions to look at (class report)")
    for note in merged.get("notes", []):
        print(note)
    print(f"Gradebook: {merged.get('gradebook')}")
    for k, why in sorted(merged.get("missing", {}).items(), key=lambda item: int(item[0])):
        print(f"missing: {why}", file=sys.stderr)
    return 1 if merged.get("missing") else 0
