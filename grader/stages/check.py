"""Stage 5, check: judge every test of :data:`assignment.TESTS` in the grader's process."""
import traceback

from assignment import TESTS
from assignment.kit.judges import FAILED_CALL, GradingContext

from grader.model import TestResult


def check(run):
    """Fill run.tests from the probe outcomes; one test's crash fails that test only."""
    ctx = GradingContext(run)
    for spec in TESTS:
        result = TestResult(name=spec.name, number=spec.number, max_score=spec.points, id=spec.id)
        try:
            verdict = spec.verdict(ctx)
        except Exception as error:   # a grader bug: say so, give no points, keep grading
            result.got = f"the grader could not judge this test ({type(error).__name__}: {error})"
            result.extra["grader_traceback"] = traceback.format_exc()[-2000:]
            run.tests.append(result)
            continue
        result.passed = verdict.passed
        result.score = spec.points if verdict.passed else 0.0
        result.expected, result.got, result.hint = verdict.expected, verdict.got, verdict.hint
        result.tags, result.extra = list(verdict.tags), dict(verdict.extra)
        result.failed_call = result.extra.pop(FAILED_CALL, None)
        run.tests.append(result)
