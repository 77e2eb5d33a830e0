"""``python -m grader.gradescope build|run``: see :mod:`grader.gradescope.autograder`."""
import sys

from grader.exit import exit_code
from grader.gradescope.autograder import main

sys.exit(exit_code(main()))
