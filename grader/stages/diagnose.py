"""Stage 6, diagnose: tell the student which common mistake a failed test looks like.

What a mistake is, and how a failed test's outputs show one, is the assignment's knowledge
(:mod:`assignment.kit.diagnosis`, each exercise's ``MISTAKES``); this stage runs it on the run's
failed tests. Diagnosis is advice: it changes no score, and a problem in it is logged and
skipped, never a failed grading.
"""
import assignment


def diagnose(run):
    """Annotate run.tests (failed ones only); never raises, never changes a score."""
    if run.probe_plan is None or not run.tests:
        return
    assignment.diagnose(run)
