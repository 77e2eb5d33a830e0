"""Gradescope: ``python -m grader.gradescope build`` writes the autograder zip,
``python -m grader.gradescope run`` grades in Gradescope's container
(:mod:`grader.gradescope.autograder`; the zip's scripts are in ``files/``)."""
