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
with the files of :data:`SHIPPED_FILES` (listed in ``selfcheck_files.py``): the results and their report
(``selfcheck_report.py``), the checks (``public_checks.py``, ``check_kinds.py``,
``check_model.py``, ``common_judges.py``, ``notebook_calls.py``), the comparison of arrays
(``arraycheck.py``), the notebook's ``keep_going`` helper
(``keep_going.py``), the notebook runner (``check_notebook.py``) and how it names
cells (``cell_names.py``), and the list of checks with their inputs
(``public_fixture.json``); in the grader's repository they are its
``student_template/`` folder.
"""
import argparse
import sys
from pathlib import Path
from typing import Any

try:
    from . import selfcheck_files
    from .selfcheck_files import NOTEBOOK_FILES, SHIPPED_FILES, STUDENT_PACKAGES  # noqa: F401
except ImportError:   # shipped to students as week6_selfcheck.py, next to selfcheck_files.py
    import selfcheck_files
    from selfcheck_files import NOTEBOOK_FILES, SHIPPED_FILES, STUDENT_PACKAGES  # noqa: F401

try:
    import numpy  # noqa: F401  (public_checks needs it: say how to install it before anything else)
except ImportError:   # on the command line, say how to install it; imported from a notebook, fail as usual
    if __name__ != "__main__":
        raise
    print(f"error: the self-check needs numpy, missing from {sys.executable}; install it with: "
          f"{sys.executable} -m pip install {' '.join(STUDENT_PACKAGES)}", file=sys.stderr)
    raise SystemExit(2) from None

try:
    from .public_checks import Context, run_check
    from .selfcheck_report import SelfCheckResults, format_report, headings, load_fixture, symbols_for
except ImportError:   # shipped to students as week6_selfcheck.py, next to public_checks.py
    from public_checks import Context, run_check
    from selfcheck_report import SelfCheckResults, format_report, headings, load_fixture, symbols_for


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
                  f"({selfcheck_files.FIXTURE_PATH}): {error}")
        return SelfCheckResults()
    ctx = Context(namespace, fixture)
    results = SelfCheckResults(run_check(ctx, entry) for entry in fixture["checks"])
    if verbose:
        print(format_report(results, headings(fixture), symbols_for(sys.stdout)))
    return results


def main(argv: list[str] | None = None) -> int:
    # here, not at the top: the command line's runner (check_notebook.py) is shipped to students but not
    # copied next to a graded notebook (NOTEBOOK_FILES), where run_selfcheck must import without it
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
