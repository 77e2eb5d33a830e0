"""One command line, ``python -m grader``, whose subcommands forward to library functions.

  grade NOTEBOOK [--out DIR]           one submission -> DIR/<stem>/results.json
  grade-batch DIR [--out DIR] [--jobs N] [--shard k/n]
                                       every DIR/*.ipynb -> DIR/<stem>/results.json, gradebook.csv, class report
  merge OUT1 OUT2 ... --out DIR        combine the OUT directories of shards into one gradebook and class report
  check NOTEBOOK                       the student's self-check (public tests only)
  written-answers OUT                  OUT/written_answers.html again, from the OUT/<stem>/answers/ folders
"""
import argparse
import sys
from pathlib import Path

from .config import GraderConfig


def _config(args):
    config = GraderConfig()
    for name in ("cell_timeout", "notebook_timeout", "train_budget", "seed"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(config, name, value)
    if getattr(args, "no_sandbox", False):
        config.sandbox = False
    if getattr(args, "no_figures", False):
        config.figures = False
    return config


def _grading_options(parser):
    parser.add_argument("--out", default="results", help="results directory (default: results)")
    parser.add_argument("--cell-timeout", type=float, help="seconds per notebook cell (default 60)")
    parser.add_argument("--notebook-timeout", type=float, help="seconds for the whole notebook (default 600)")
    parser.add_argument("--train-budget", type=float, help="seconds per trained-accuracy check (default 90)")
    parser.add_argument("--seed", type=int, help="probe seed (default: derived from the notebook's bytes)")
    parser.add_argument("--no-figures", action="store_true", help="skip the decision-boundary figures")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="UNSAFE: run the submission's code without the sandbox")


def cmd_grade(args):
    from .pipeline import grade_notebook
    from .terminal import score_table
    path = Path(args.notebook)
    if not path.exists():
        print(f"error: {path} does not exist", file=sys.stderr)
        return 2
    run = grade_notebook(path, Path(args.out), _config(args))
    print(score_table(run))
    return 0


def _print_batch(result):
    print(result.summary())
    print(f"Gradebook: {result.gradebook}")
    if result.class_report:
        print(f"Class report: {result.class_report[0]}")
    if result.answers_page:
        print(f"Written answers: {result.answers_page}")
    return 0


def cmd_grade_batch(args):
    from .batch import BatchError, grade_batch
    try:
        result = grade_batch(Path(args.directory), Path(args.out), jobs=args.jobs, config=_config(args),
                             shard=args.shard, timeout=args.timeout, force=args.force,
                             progress=not args.quiet)
    except BatchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return _print_batch(result)


def cmd_merge(args):
    from .batch import BatchError, merge_shards
    try:
        result = merge_shards([Path(d) for d in args.shards], Path(args.out), allow_partial=args.allow_partial)
    except BatchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return _print_batch(result)


def cmd_check(args):
    from .selfcheck import check_notebook
    return check_notebook(Path(args.notebook))


def cmd_written_answers(args):
    from .answers_page import write_answers_page
    out = Path(args.out_dir)
    if not out.is_dir():
        print(f"error: {out} is not a directory", file=sys.stderr)
        return 2
    print(write_answers_page(out))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade Week 6 backpropagation notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one notebook")
    grade.add_argument("notebook")
    _grading_options(grade)
    grade.set_defaults(handler=cmd_grade)
    batch = commands.add_parser("grade-batch", help="grade every *.ipynb of a directory (one per student)")
    batch.add_argument("directory")
    _grading_options(batch)
    batch.add_argument("--jobs", type=int, help="notebooks graded at once (default: the number of CPUs)")
    batch.add_argument("--shard", help="k/n: grade only the k-th of n disjoint shares of the class (k from 1)")
    batch.add_argument("--timeout", type=float,
                       help="wall-clock seconds per notebook before it is stopped (default 2 x notebook timeout + 600)")
    batch.add_argument("--force", action="store_true", help="grade again what is unchanged since its last grading")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(handler=cmd_grade_batch)
    merge = commands.add_parser("merge", help="combine the OUT directories of grade-batch shards")
    merge.add_argument("shards", nargs="+", metavar="OUT_SHARD")
    merge.add_argument("--out", required=True, help="directory for the merged results, gradebook and class report")
    merge.add_argument("--allow-partial", action="store_true",
                       help="merge even when shards are missing (their submissions get status 'missing')")
    merge.set_defaults(handler=cmd_merge)
    check = commands.add_parser("check", help="the student's self-check: public tests only, no sandbox")
    check.add_argument("notebook")
    check.set_defaults(handler=cmd_check)
    written = commands.add_parser("written-answers", help="the TAs' page of written answers and plots of an OUT directory")
    written.add_argument("out_dir", metavar="OUT")
    written.set_defaults(handler=cmd_written_answers)
    args = parser.parse_args(argv)
    return args.handler(args)
