"""Week 6 self-check: the public tests of the lab, on your own computer.

In the notebook (its last cell)::

    from week6_selfcheck import run_selfcheck
    run_selfcheck(globals())

On the command line (runs the whole notebook in a fresh kernel first)::

    python week6_selfcheck.py week6_backprop.ipynb

The checks call the functions your notebook defines on fixed public inputs
(``public_fixture.json``, next to this file) and compare what they return
with the reference solution's outputs; gradients are also compared with
central differences of your own loss. They finish in a few seconds and do not
train anything. They are NOT your grade: the grader runs hidden tests on other
inputs, and checks that your training reaches the reference's accuracy.

The command line's exit status is 0 when every public check passes, 1 when one
fails or a function is not written yet, 2 when the check cannot run here (run
``python week6_selfcheck.py --help``).

In a notebook it needs numpy only; the command line needs what the lab's
students install anyway: numpy, scipy, matplotlib and jupyter. This file ships
with the files of :data:`SHIPPED_FILES`: the checks (``public_checks.py``), the
comparison of arrays (``arraycheck.py``), the notebook's ``keep_going`` helper
(``keep_going.py``), the notebook runner (``check_notebook.py``) and how it names
cells (``cell_names.py``), and the list of checks with their inputs
(``public_fixture.json``); in the grader's repository they are its
``student_template/`` folder.
"""
import argparse
import dataclasses
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

# What a student installs for the lab (the bundle's README says the same).
STUDENT_PACKAGES = ("numpy", "scipy", "matplotlib", "jupyter")

try:
    import numpy  # noqa: F401  (public_checks needs it: say how to install it before anything else)
except ImportError:   # on the command line, say how to install it; imported from a notebook, fail as usual
    if __name__ != "__main__":
        raise
    print(f"error: the self-check needs numpy, missing from {sys.executable}; install it with: "
          f"{sys.executable} -m pip install {' '.join(STUDENT_PACKAGES)}", file=sys.stderr)
    raise SystemExit(2) from None

try:
    from .public_checks import FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED, CheckResult, Context, run_check, validate
except ImportError:   # shipped to students as week6_selfcheck.py, next to public_checks.py
    from public_checks import FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED, CheckResult, Context, run_check, validate

HERE = Path(__file__).resolve().parent
FIXTURE_PATH = HERE / "public_fixture.json"
# The self-check's files, side by side: those a notebook's working directory needs for run_selfcheck
# (check_notebook.prepare_workdir, and the grader's), then those of the command line. A student gets
# them all (tools/build_bundle.py): they are the one list of shipped files.
NOTEBOOK_FILES = ("week6_selfcheck.py", "public_checks.py", "check_kinds.py", "notebook_calls.py", "arraycheck.py",
                  "public_fixture.json", "keep_going.py")
SHIPPED_FILES = NOTEBOOK_FILES + ("check_notebook.py", "cell_names.py", "written_answers.py")
LINE_WIDTH = 100

SYMBOLS = {PASSED: "\u2713", FAILED: "\u2717", NOT_IMPLEMENTED: "\u25cb", SKIPPED: "\u00b7"}
ASCII_SYMBOLS = {PASSED: "ok", FAILED: "XX", NOT_IMPLEMENTED: "--", SKIPPED: ".."}


class SelfCheckResults(list):
    """The list of :class:`CheckResult` that run_selfcheck returns; shows as its summary line."""

    def tally(self, status: str = PASSED) -> int:
        """How many results have this status."""
        return sum(1 for result in self if result.status == status)

    @property
    def all_passed(self) -> bool:
        return bool(self) and all(result.passed for result in self)

    def summary(self) -> str:
        parts = [f"{self.tally(FAILED)} failed"] if self.tally(FAILED) else []
        if self.tally(NOT_IMPLEMENTED):
            parts.append(f"{self.tally(NOT_IMPLEMENTED)} not written yet")
        if self.tally(SKIPPED):
            parts.append(f"{self.tally(SKIPPED)} skipped")
        more = f" ({', '.join(parts)})" if parts else ""
        return f"public checks: {self.tally(PASSED)}/{len(self)} passed{more}"

    def write_json(self, path: str | Path) -> None:
        """Write the results as a JSON list of CheckResult fields to ``path`` (for the command line)."""
        Path(path).write_text(json.dumps([dataclasses.asdict(r) for r in self]), encoding="utf-8")

    @classmethod
    def read_json(cls, path: str | Path) -> "SelfCheckResults | None":
        """What write_json wrote, or None if ``path`` holds nothing readable."""
        try:
            return cls(CheckResult(**entry) for entry in json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def __repr__(self):
        return f"<{self.summary()}>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


def load_fixture(path: str | Path | None = None) -> dict:
    """The fixture (default :data:`FIXTURE_PATH`): its checks, cases and tolerances; OSError or
    ValueError (public_checks.FixtureError) when it cannot be read or is not one this self-check runs."""
    with open(path or FIXTURE_PATH, encoding="utf-8") as handle:
        fixture = json.load(handle)
    validate(fixture)
    return fixture


def headings(fixture: dict) -> dict[str, str]:
    """{exercise id: "Exercise 1b: sigmoid, sigmoid_grad"} in notebook order."""
    return {exercise["id"]: exercise["heading"] for exercise in fixture["exercises"]}


def _symbols(stream):
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(SYMBOLS.values()).encode(encoding)
        return SYMBOLS
    except (UnicodeEncodeError, LookupError):
        return ASCII_SYMBOLS


def format_report(results: list, exercises: dict[str, str], symbols: dict[str, str] = SYMBOLS,
                  width: int = LINE_WIDTH) -> str:
    """The terminal report: exercise by exercise (``exercises``: :func:`headings`), then the summary line
    and what it means."""
    title = "Week 6 self-check: public tests"
    lines = [title, "=" * len(title)]
    for exercise, heading in exercises.items():
        mine = [r for r in results if r.exercise == exercise]
        if not mine:
            continue
        passed = sum(r.passed for r in mine)
        lines += ["", f"{heading}  ({passed}/{len(mine)} passed)"]
        for r in mine:
            if r.status == NOT_IMPLEMENTED:
                lines.append(f"  {symbols[r.status]} {r.name}: not written yet")
                lines += textwrap.wrap(r.got, width, initial_indent="      ", subsequent_indent="      ")
                continue
            if r.status == SKIPPED:
                lines.append(f"  {symbols[r.status]} {r.name}: skipped: {r.got}")
                lines += textwrap.wrap(r.hint, width, initial_indent="      ", subsequent_indent="      ")
                continue
            lines.append(f"  {symbols[r.status]} {r.name}")
            if r.status == FAILED:
                for label, text in (("expected", r.expected), ("got", r.got), ("hint", r.hint)):
                    if "\n" in text:   # a table of values (arraycheck.comparison): kept as it is laid out
                        lines += [f"      {label}:"] + ["          " + line for line in text.splitlines()]
                    elif text:
                        lines += textwrap.wrap(text, width, initial_indent=f"      {label + ':':<10}",
                                               subsequent_indent=" " * 16, break_on_hyphens=False)
    lines += ["", results.summary() if isinstance(results, SelfCheckResults) else SelfCheckResults(results).summary()]
    if any(r.status == SKIPPED for r in results):
        lines.append("Skipped checks need the .mat data files in the current directory (next to the notebook).")
    lines += textwrap.wrap("These checks are not your grade: the grader runs hidden tests on other inputs "
                           "(new for every submission) and also checks that your training reaches the "
                           "reference's accuracy.", width)
    return "\n".join(lines)


def run_selfcheck(namespace: Any, verbose: bool = True) -> SelfCheckResults:
    """Run the public checks on the functions defined in ``namespace`` (the notebook's ``globals()``).

    Returns a :class:`SelfCheckResults`, a list of :class:`CheckResult`; with verbose, prints the report.
    Never raises because of the notebook's code: each check's problems are reported in its result.
    """
    if not hasattr(namespace, "get"):
        namespace = vars(namespace)   # a module works too
    try:
        fixture = load_fixture()
    except (OSError, ValueError) as error:
        if verbose:
            print(f"The self-check needs public_fixture.json next to {Path(__file__).name} "
                  f"({FIXTURE_PATH}): {error}")
        return SelfCheckResults()
    ctx = Context(namespace, fixture)
    results = SelfCheckResults(run_check(ctx, entry) for entry in fixture["checks"])
    if verbose:
        print(format_report(results, headings(fixture), _symbols(sys.stdout)))
    return results



def _print(text, stream=None):
    """Print text, replacing what the terminal's encoding cannot show."""
    stream = stream or sys.stdout
    if _symbols(stream) is ASCII_SYMBOLS:
        for status, symbol in SYMBOLS.items():
            text = text.replace(f"  {symbol} ", f"  {ASCII_SYMBOLS[status]} ")
    encoding = getattr(stream, "encoding", None) or "ascii"
    print(text.encode(encoding, "replace").decode(encoding), file=stream)


def main(argv: list[str] | None = None) -> int:
    try:
        from .check_notebook import ALL_PASSED, CANNOT_CHECK, NOT_ALL_PASSED, check_notebook
    except ImportError:   # shipped: check_notebook.py is next to this file
        from check_notebook import ALL_PASSED, CANNOT_CHECK, NOT_ALL_PASSED, check_notebook
    try:
        exercises = list(headings(load_fixture()))
    except (OSError, ValueError, KeyError):   # check_notebook says what is wrong with the fixture
        exercises = None
    parser = argparse.ArgumentParser(
        prog=f"python {Path(__file__).name}",
        description="Runs the notebook top to bottom in a fresh kernel, next to the lab's data files, then the "
                    "public self-check on its functions, and prints what passed, what failed and why.",
        epilog=f"Exit status: {ALL_PASSED} when every public check passes; {NOT_ALL_PASSED} when one fails or a "
               f"function is not written yet; {CANNOT_CHECK} when the notebook cannot be read or a package or a "
               f"data file is missing. Needs: pip install {' '.join(STUDENT_PACKAGES)}. The public checks are not "
               "your grade: the grader runs hidden tests too.")
    parser.add_argument("notebook", metavar="NOTEBOOK", help="your notebook, e.g. week6_backprop.ipynb")
    parser.add_argument("--exercise", action="append", choices=exercises, metavar="ID",
                        help=f"report only this exercise's checks ({', '.join(exercises or [])}; repeatable): the "
                             "exit status is theirs. The run is kept for the next --exercise on the same notebook.")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return check_notebook(args.notebook, args.exercise)


if __name__ == "__main__":
    raise SystemExit(main())
