"""One command line, ``python -m grader``, whose subcommands forward to library functions.

  grade NOTEBOOK [--out DIR]           one submission -> DIR/<stem>/results.json
  grade-batch SUBMISSIONS [--out DIR] [--jobs N] [--shard k/n] [--roster CSV] [--overrides CSV]
              [--only WHO] [--due WHEN] [--assignment NAME] [--lms canvas,moodle] [--ungraded blank|zero] [--json]
                                       a folder tree, zip or LMS download -> DIR/<key>/results.json,
                                       gradebook.csv, the LMS import files, class report
  merge OUT1 OUT2 ... --out DIR        combine the OUT directories of shards into one gradebook and class report
  slurm SUBMISSIONS --out DIR --tasks N [--partition P] [--time T] [--cpus C] [--mem M] [--sbatch LINE]
        [--dry-run] [--no-wait]        a class as one Slurm job array of N shares and a merge job
                                       (grader.classroom.slurm); slurm-merge is that merge job's command
  check NOTEBOOK                       the student's self-check (public tests only)
  written-answers OUT                  OUT/written_answers.html again, from the OUT/<folder>/answers/ folders

One notebook graded into an OUT that already holds a different notebook of the
same name (``a/x.ipynb``, then ``b/x.ipynb``) goes to ``OUT/x~2/`` (the first
free ``x~N``), never over the other one; the same notebook graded again reuses
its folder. ``OUT/<folder>/.source.json`` records which notebook a folder holds.

grade and grade-batch take ``--sandbox auto|bwrap|uid|none`` (default: ``$WEEK6_SANDBOX``, else
auto; ``--no-sandbox`` is ``--sandbox none``). Exit status 2 for bad arguments, 3 when the
notebooks cannot be confined as asked (nothing is graded, no results.json written).
"""
import argparse
import json
import os
import sys
from pathlib import Path

from grader import __version__
from grader.config import GraderConfig
from grader.kernel import sandbox

# Each subcommand imports the modules it needs inside its own function: start-up time (``--help``, ``check``
# and ``merge`` never import the pipeline, and only grading imports the assignment).
SOURCE_FILE = ".source.json"
ENVIRONMENT_FAILURE = 3        # exit status: no sandbox here, so no grade (not the notebook's fault)


def _config(args):
    config = GraderConfig()
    for name in ("cell_timeout", "notebook_timeout", "train_budget", "time_budget", "seed"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(config, name, value)
    config.sandbox = args.sandbox
    if getattr(args, "no_figures", False):
        config.figures = False
    return config


def _positive(kind):
    """An argparse type: a number of ``kind`` (int or float) that must be above 0."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be {'at least 1' if kind is int else 'more than 0'}, not {text}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _grading_options(parser):
    parser.add_argument("--out", default="results", help="results directory (default: results)")
    parser.add_argument("--cell-timeout", type=_positive(float), help="seconds per notebook cell (default 60)")
    parser.add_argument("--notebook-timeout", type=_positive(float),
                        help="seconds for the whole notebook (default 600)")
    parser.add_argument("--train-budget", type=_positive(float),
                        help="seconds per trained-accuracy check (default 90)")
    parser.add_argument("--time-budget", type=_positive(float),
                        help="seconds for the whole grading of one notebook, report included (default 540)")
    parser.add_argument("--seed", type=int, help="probe seed (default: derived from the notebook's bytes)")
    parser.add_argument("--no-figures", action="store_true", help="skip the decision-boundary figures")
    parser.add_argument("--sandbox", choices=sandbox.LEVELS, metavar="LEVEL",
                        help=f"{'|'.join(sandbox.LEVELS)}: what confines the notebook's code (default: "
                             f"${sandbox.LEVEL_ENV}, else auto = bwrap where it works, else uid where the grader "
                             "is root, else refuse); none is UNSAFE")
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_const", const="none",
                        help="UNSAFE: the same as --sandbox none")


def single_out_dir(notebook, out_root):
    """``out_root/<stem>`` unless it holds another notebook's grading; then the first ``<stem>~N``
    that is free or holds this one's (see the module's doc)."""
    source = str(Path(notebook).resolve())
    stem = Path(notebook).stem
    n = 1
    while True:
        candidate = Path(out_root) / (stem if n == 1 else f"{stem}~{n}")
        try:
            holder = json.loads((candidate / SOURCE_FILE).read_text(encoding="utf-8")).get("path")
        except (OSError, ValueError, AttributeError):
            holder = None if (candidate / "results.json").exists() else source
        if holder == source:
            return candidate
        n += 1


def cmd_grade(args):
    path = Path(args.notebook)
    if not path.is_file():
        print(f"error: {path} does not exist" if not path.exists() else f"error: {path} is not a file",
              file=sys.stderr)
        return 2
    config = _config(args)
    try:
        sandbox.resolve_level(config)       # before anything is written: an environment failure is no grade
    except sandbox.SandboxUnavailable as error:
        return _environment_failure(error, args.json)
    from grader.pipeline import grade_notebook
    out_dir = single_out_dir(path, Path(args.out))
    if out_dir.name != path.stem:
        print(f"note: {Path(args.out) / path.stem} holds the grading of another {path.name}; "
              f"this one goes to {out_dir}", file=sys.stderr)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SOURCE_FILE).write_text(json.dumps({"path": str(path.resolve())}) + "\n", encoding="utf-8")
    run = grade_notebook(path, Path(args.out), config, out_dir=out_dir, on_hard_stop=_end_after_overrun)
    from grader.reports.terminal import score_table   # after the grading: it imports the assignment (issue 25)
    if args.json:
        print(json.dumps({"notebook": str(path), "results": str(out_dir / "results.json"), "status": run.status,
                          "score": round(float(run.score), 4)}))
    else:
        print(score_table(run))
    return 0


def _end_after_overrun(run):
    """The grading could not end by itself past its deadline (grader.budget.OverrunWatchdog): its
    results are written, so the process ends here, with the status of a grade produced."""
    print(f"the grading time ran out; results in {run.out_dir / 'results.json'}", file=sys.stderr, flush=True)
    os._exit(0)


def _print_batch(result, as_json):
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    print(result.summary())
    print(f"Gradebook: {result.gradebook}")
    if result.lms_files:
        print("LMS import files: " + ", ".join(str(p) for p in result.lms_files))
    if result.class_report:
        print(f"Class report: {result.class_report[0]}")
    if result.answers_page:
        print(f"Written answers: {result.answers_page}")
    return 0


def _batch_error(error, as_json, status=2):
    if as_json:
        print(json.dumps({"error": str(error)}, ensure_ascii=False))
    print(f"error: {error}", file=sys.stderr)
    return status


def _environment_failure(error, as_json):
    return _batch_error(error, as_json, ENVIRONMENT_FAILURE)


def _lms(args):
    """The LMS files' options (grader.classroom.lms_export.LmsOptions) from --assignment, --lms, --ungraded."""
    from grader.classroom.lms_export import LmsOptions
    return LmsOptions(assignment=args.assignment, files=args.lms, ungraded=args.ungraded)


def cmd_grade_batch(args):
    from grader.classroom.batch import BatchOptions, grade_batch
    from grader.classroom.outputs import BatchError
    try:
        options = BatchOptions(jobs=args.jobs, config=_config(args), shard=args.shard, timeout=args.timeout,
                               force=args.force, progress=not (args.quiet or args.json), roster=args.roster,
                               overrides=args.overrides, only=args.only, due=args.due, assignment=_lms(args),
                               similarity=not args.no_similarity)
        result = grade_batch(Path(args.directory), Path(args.out), options)
    except BatchError as error:
        return _batch_error(error, args.json)
    except sandbox.SandboxUnavailable as error:
        return _environment_failure(error, args.json)
    return _print_batch(result, args.json)


def cmd_merge(args):
    from grader.classroom.outputs import BatchError
    from grader.classroom.shards import merge_shards
    try:
        result = merge_shards([Path(d) for d in args.shards], Path(args.out), allow_partial=args.allow_partial,
                              overrides=args.overrides, assignment=_lms(args))
    except BatchError as error:
        return _batch_error(error, args.json)
    return _print_batch(result, args.json)


# grade-batch's options that a Slurm task repeats, so that it grades as this command was asked to
TASK_VALUES = ("cell_timeout", "notebook_timeout", "train_budget", "time_budget", "seed", "timeout", "due")
TASK_FLAGS = ("no_figures", "force", "no_similarity")


def _task_options(args):
    """The grade-batch options of every Slurm task: the sandbox level, the limits, the roster (absolute:
    the tasks run in the project's folder). A task that looks for similar pairs in its share leaves each
    notebook's fingerprint beside its results, so the merge compares the whole class without making them."""
    options = ["--sandbox", args.sandbox]
    for name in TASK_VALUES:
        if getattr(args, name) is not None:
            options += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    options += [f"--{name.replace('_', '-')}" for name in TASK_FLAGS if getattr(args, name)]
    return options + (["--roster", str(Path(args.roster).resolve())] if args.roster else [])


def _merge_options(args):
    from grader.classroom.lms_export import DEFAULT_ASSIGNMENT, DEFAULT_UNGRADED
    return ((["--overrides", str(Path(args.overrides).resolve())] if args.overrides else [])
            + (["--assignment", args.assignment] if args.assignment != DEFAULT_ASSIGNMENT else [])
            + (["--lms", ",".join(args.lms)] if args.lms else [])
            + (["--ungraded", args.ungraded] if args.ungraded != DEFAULT_UNGRADED else [])
            + (["--no-similarity"] if args.no_similarity else []))


def cmd_slurm(args):
    from grader.classroom.outputs import BatchError
    from grader.classroom.slurm import SlurmOptions
    from grader.classroom.slurm_command import grade_on_slurm
    try:
        options = SlurmOptions(tasks=args.tasks, partition=args.partition, time=args.time, cpus=args.cpus,
                               mem=args.mem, extra=tuple(args.sbatch), job_name=args.job_name)
        return grade_on_slurm(Path(args.directory), Path(args.out), options, _config(args), _task_options(args),
                              _merge_options(args), roster=args.roster, due=args.due, dry_run=args.dry_run,
                              wait=not args.no_wait, show=not args.quiet, force=args.force)
    except BatchError as error:
        return _batch_error(error, False)


def cmd_slurm_merge(args):
    from grader.classroom.outputs import BatchError
    from grader.classroom.slurm_merge import merge_run
    from grader.classroom.slurm_queue import SlurmQueue
    try:
        result, missing = merge_run(Path(args.out_dir), args.tasks, args.array_job, SlurmQueue(),
                                    overrides=args.overrides, assignment=_lms(args),
                                    similarity=not args.no_similarity)
    except BatchError as error:
        return _batch_error(error, False)
    for why in missing.values():
        print(f"missing: {why}", file=sys.stderr)
    return _print_batch(result, False)


def cmd_check(args):
    from student_template.check_notebook import check_notebook
    return check_notebook(Path(args.notebook))


def cmd_written_answers(args):
    from grader.classroom.answers_page import write_answers_page
    out = Path(args.out_dir)
    if not out.is_dir():
        print(f"error: {out} is not a directory", file=sys.stderr)
        return 2
    print(write_answers_page(out))
    return 0


def _lms_names(text):
    """An argparse type: "canvas,moodle" -> ("canvas", "moodle"); "auto" -> None."""
    from grader.classroom.lms_export import LMS_NAMES, parse_lms
    names = parse_lms(text)
    unknown = sorted(set(names or ()) - set(LMS_NAMES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown LMS {', '.join(unknown)} (known: {', '.join(LMS_NAMES)}, or auto)")
    return names


def _slurm_commands(commands):
    """The parsers of ``slurm`` (what a person runs) and ``slurm-merge`` (what its merge job runs)."""
    from grader.classroom import slurm as defaults
    slurm = commands.add_parser("slurm", help="grade a class on a Slurm cluster: one job array of --tasks shares, "
                                              "then a merge job (SUBMISSIONS, OUT and this project on a shared "
                                              "filesystem)")
    slurm.add_argument("directory", metavar="SUBMISSIONS")
    _grading_options(slurm)
    slurm.add_argument("--tasks", type=_positive(int), required=True,
                       help="array tasks: task k grades the k-th of n shares (the rule of --shard k/n)")
    slurm.add_argument("--partition", help="Slurm partition (default: the cluster's default)")
    slurm.add_argument("--time", default=defaults.DEFAULT_TIME,
                       help=f"time limit of each task and of the merge (default {defaults.DEFAULT_TIME})")
    slurm.add_argument("--cpus", type=_positive(int), default=defaults.DEFAULT_CPUS,
                       help=f"CPUs per task, each grading one notebook at a time (default {defaults.DEFAULT_CPUS})")
    slurm.add_argument("--mem", help="memory per task, e.g. 16G (default: CPUs x (the notebook memory limit + "
                                     f"{defaults.WORKER_MB} MiB), {defaults.default_mem(defaults.DEFAULT_CPUS)} "
                                     f"for {defaults.DEFAULT_CPUS} CPUs)")
    slurm.add_argument("--sbatch", action="append", default=[], metavar="OPTION",
                       help="one more #SBATCH line for both jobs, e.g. --sbatch=--account=cs101 (repeatable)")
    slurm.add_argument("--job-name", default=defaults.DEFAULT_JOB_NAME, help="the jobs' name in squeue")
    slurm.add_argument("--dry-run", action="store_true", help="print the two job scripts, submit nothing")
    slurm.add_argument("--no-wait", action="store_true", help="submit and return (squeue shows the jobs)")
    slurm.add_argument("--quiet", action="store_true", help="no progress bar while waiting")
    slurm.add_argument("--timeout", type=_positive(float), help="wall-clock seconds per notebook (as grade-batch)")
    slurm.add_argument("--force", action="store_true", help="grade again what is unchanged since its last grading")
    slurm.add_argument("--roster", help="CSV of the students (as grade-batch)")
    slurm.add_argument("--due", help="due date and time (as grade-batch)")
    slurm.set_defaults(handler=cmd_slurm)
    slurm_merge = commands.add_parser("slurm-merge", help="the merge job of `slurm`: the shares its array's "
                                                          "tasks finished, the others' students as missing")
    slurm_merge.add_argument("out_dir", metavar="OUT")
    slurm_merge.add_argument("--tasks", type=_positive(int), required=True)
    slurm_merge.add_argument("--array-job", required=True, help="the job id of the array that graded the shares")
    slurm_merge.set_defaults(handler=cmd_slurm_merge)
    for command in (slurm, slurm_merge):
        command.add_argument("--no-similarity", action="store_true", help="do not look for near-identical submissions")
    return slurm, slurm_merge


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    # `grade` (one notebook, the command a person waits for) is parsed without the class commands:
    # their options' defaults import the assignment (~0.7 s), which a grading loads while the
    # notebook's kernel starts instead (issue 25). Its parser, help and errors are the same.
    parser = _parser(class_commands=argv[:1] != ["grade"])
    args = parser.parse_args(argv)
    if hasattr(args, "sandbox"):
        try:
            args.sandbox = sandbox.requested_level(args.sandbox, os.environ)
        except ValueError as error:
            parser.error(str(error))
    return args.handler(args)


def _parser(class_commands=True):
    """The command line's parser; without ``class_commands``, only ``grade``'s."""
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade Week 6 backpropagation notebooks.")
    parser.add_argument("--version", action="version", version=f"week6-grader {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one notebook")
    grade.add_argument("notebook")
    _grading_options(grade)
    grade.add_argument("--json", action="store_true", help="print a JSON summary (status, score, results path)")
    grade.set_defaults(handler=cmd_grade)
    if class_commands:
        _class_commands(commands)
    return parser


def _class_commands(commands):
    """Every subcommand but ``grade``."""
    from grader.classroom.lms_export import DEFAULT_ASSIGNMENT, DEFAULT_UNGRADED, UNGRADED_CHOICES

    batch = commands.add_parser("grade-batch", help="grade a class: a folder tree, a zip, or an LMS download "
                                                     "(Gradescope export, Canvas or Moodle naming)")
    batch.add_argument("directory", metavar="SUBMISSIONS")
    _grading_options(batch)
    batch.add_argument("--jobs", type=_positive(int), help="notebooks graded at once (default: the number of CPUs)")
    batch.add_argument("--shard", help="k/n: grade only the k-th of n disjoint shares of the class (k from 1)")
    batch.add_argument("--timeout", type=_positive(float),
                       help="wall-clock seconds per notebook before it is stopped (default 2 x notebook timeout + 600)")
    batch.add_argument("--force", action="store_true", help="grade again what is unchanged since its last grading")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument("--roster", help="CSV of the students (id, name, email, SIS User ID, SIS Login ID, section)")
    batch.add_argument("--only", metavar="WHO",
                       help="regrade just this submission (key, file, path, student id, name or email) into OUT")
    batch.add_argument("--due", help="due date and time (ISO 8601, e.g. 2026-12-01T23:59): later submissions are late")
    batch.add_argument("--no-similarity", action="store_true", help="do not look for near-identical submissions")
    batch.set_defaults(handler=cmd_grade_batch)
    merge = commands.add_parser("merge", help="combine the OUT directories of grade-batch shards")
    merge.add_argument("shards", nargs="+", metavar="OUT_SHARD")
    merge.add_argument("--out", required=True, help="directory for the merged results, gradebook and class report")
    merge.add_argument("--allow-partial", action="store_true",
                       help="merge even when shards are missing (their submissions get status 'missing')")
    merge.set_defaults(handler=cmd_merge)
    for command in (batch, merge):
        command.add_argument("--json", action="store_true", help="print the summary as JSON (for scripts)")
    slurm, slurm_merge = _slurm_commands(commands)
    for command in (batch, merge, slurm, slurm_merge):
        command.add_argument("--overrides", help="CSV of manual adjustments: submission,exercise,points,reason")
        command.add_argument("--assignment", default=DEFAULT_ASSIGNMENT,
                             help=f"the assignment's column in canvas_grades.csv: an existing one as Canvas exports "
                                  f"it, e.g. 'Week 6 (1234)', or a new one (default: {DEFAULT_ASSIGNMENT})")
        command.add_argument("--lms", type=_lms_names, metavar="canvas,moodle",
                             help="the LMS import files to write (default auto: the download's own LMS, else each "
                                  "LMS whose ids the submissions carry)")
        command.add_argument("--ungraded", choices=UNGRADED_CHOICES, default=DEFAULT_UNGRADED,
                             help="the LMS files' cell for a student with no notebook the grader could read "
                                  f"(no_notebook, unreadable): blank leaves it to a person (default: {DEFAULT_UNGRADED})")
    check = commands.add_parser("check", help="the student's self-check: public tests only, no sandbox")
    check.add_argument("notebook")
    check.set_defaults(handler=cmd_check)
    written = commands.add_parser("written-answers", help="the TAs' page of written answers and plots of an OUT directory")
    written.add_argument("out_dir", metavar="OUT")
    written.set_defaults(handler=cmd_written_answers)
