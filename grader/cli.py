"""One command line, ``python -m grader``, whose subcommands forward to library functions.

  grade NOTEBOOK [--out DIR]           one submission -> DIR/<stem>/results.json
  grade-batch DIR [--out DIR] [--jobs N]
  check NOTEBOOK                       the student's self-check (public tests only)
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
    parser.add_argument("--train-budget", type=float, help="seconds per trained-accuracy check (default 40)")
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


def cmd_check(args):
    from .selfcheck import check_notebook
    return check_notebook(Path(args.notebook))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade Week 6 backpropagation notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one notebook")
    grade.add_argument("notebook")
    _grading_options(grade)
    grade.set_defaults(handler=cmd_grade)
    check = commands.add_parser("check", help="the student's self-check: public tests only, no sandbox")
    check.add_argument("notebook")
    check.set_defaults(handler=cmd_check)
    args = parser.parse_args(argv)
    return args.handler(args)
