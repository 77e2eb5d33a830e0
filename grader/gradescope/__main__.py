"""``python -m grader.gradescope build|run``: see :mod:`grader.gradescope.autograder`."""
import sys

from grader.gradescope.autograder import main

sys.exit(main())
