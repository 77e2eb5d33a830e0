"""The order a class is graded in: the longest gradings first (issue 25).

Graded in the order they were found, a slow notebook that comes late keeps one worker busy alone
at the end while the others have nothing left (the class of 6: a notebook with per-sample loops,
130-150 s against 6-50 s for the others, graded last, capped JOBS=2 at 1.6-1.76x JOBS=1). Started
first, it runs beside all the others.

What a grading will take is estimated, in seconds, only to order the class:

* the time an earlier grading of the same submission recorded (``execution_time`` of the
  results.json in its folder): what a re-run, a resumed batch, ``--force`` or a resubmission has;
* else a guess from the notebook's code: ``LOOP_SECONDS`` for each loop inside its functions.
  Loops in functions are what make a notebook slow to grade (the probes and the trainings call
  those functions thousands of times: a per-sample loop is a Python loop per sample per call),
  and counting them costs a parse of the code, no run. On the class of 6 it ranks the two
  notebooks with loops over samples (9 and 15 loops in functions) above the vectorized ones
  (5-6: loops over layers only).
"""
import ast
import json
import math
from pathlib import Path

from grader.classroom.attempts import code_cells

LOOP_SECONDS = 3.0      # seconds of grading guessed for each loop in a function (an order, not a forecast)
RESULTS_FILE = "results.json"


def recorded_seconds(result_dir: Path) -> float | None:
    """The execution time an earlier grading wrote into ``result_dir/results.json``, or None."""
    try:
        value = json.loads((Path(result_dir) / RESULTS_FILE).read_text(encoding="utf-8")).get("execution_time")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def loops_in_functions(notebook_path: Path) -> int:
    """How many ``for`` and ``while`` loops the functions of the notebook's code cells hold (cells that do
    not parse as Python, or nest too deep to walk, count none)."""
    count = 0
    for code in code_cells(notebook_path):
        counter = _LoopsInFunctions()
        try:
            counter.visit(ast.parse(code))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        count += counter.loops
    return count


class _LoopsInFunctions(ast.NodeVisitor):
    """Counts the loops inside function definitions (methods and nested functions included), once each."""

    def __init__(self):
        self.functions = 0          # how many function definitions enclose the node visited
        self.loops = 0

    def visit_FunctionDef(self, node):
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node):
        self.loops += self.functions > 0
        self.generic_visit(node)

    visit_AsyncFor = visit_While = visit_For


def estimated_seconds(notebook_path: Path, result_dir: Path) -> float:
    """What grading the notebook will take, to order the class: recorded, else guessed from its loops."""
    recorded = recorded_seconds(result_dir)
    return recorded if recorded is not None else LOOP_SECONDS * loops_in_functions(notebook_path)


def longest_first(tasks):
    """``tasks`` (each with an ``estimate`` in seconds) longest first; equal ones in their given order."""
    return sorted(tasks, key=lambda task: -task.estimate)
