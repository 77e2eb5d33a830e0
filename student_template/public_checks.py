"""The public checks: how the self-check runs each entry of ``public_fixture.json``'s check list.

A check entry (written by the project's ``tools/build_public_fixture.py`` from the assignment) is
``{"id", "exercise", "name", "kind", "cases", ["hint"], ...parameters}``: the public kind of
:class:`check_model.Check` (:func:`public_check`), its judge built by :data:`KINDS` from the kind.
:func:`validate` refuses a fixture that lists a kind, or a case, this file does not know. A judge
calls the notebook's functions through a :class:`Context` (the notebook's namespace and the
fixture's cases) and returns an :class:`arraycheck.Verdict`; :func:`run_check` turns that, or what
the notebook's code raised, into a :class:`CheckResult`.

The kinds are :mod:`check_kinds`, the calls into the notebook :mod:`notebook_calls`. Needs numpy,
``arraycheck.py``, ``check_kinds.py``, ``check_model.py``, ``common_judges.py`` and
``notebook_calls.py`` (next to this file) only.
"""
import time
from dataclasses import dataclass

try:
    from .check_kinds import KINDS
    from .check_model import PUBLIC, Check
    from .notebook_calls import Context, NotImplementedYet, Skipped
except ImportError:   # shipped to students next to check_kinds.py, check_model.py and notebook_calls.py
    from check_kinds import KINDS
    from check_model import PUBLIC, Check
    from notebook_calls import Context, NotImplementedYet, Skipped

__all__ = ["FAILED", "NOT_IMPLEMENTED", "PASSED", "SKIPPED", "CheckResult", "Context", "FixtureError", "KINDS",
           "public_check", "run_check", "validate"]

FORMAT = 3            # the fixture layout this file reads (tools/build_public_fixture.py writes it)
PASSED, FAILED, NOT_IMPLEMENTED, SKIPPED = "passed", "failed", "not implemented", "skipped"


@dataclass
class CheckResult:
    """One public check: its exercise, its name, its status and, unless it passed, why; ``check``: its stable id."""
    exercise: str
    name: str
    status: str          # "passed", "failed", "not implemented" or "skipped"
    expected: str = ""
    got: str = ""
    hint: str = ""
    seconds: float = 0.0
    check: str = ""

    @property
    def passed(self):
        return self.status == PASSED


class FixtureError(ValueError):
    """public_fixture.json is not one this file can run (another format, an unknown kind or case)."""


def validate(fixture: dict) -> None:
    """Raise FixtureError unless every check of ``fixture`` has a known kind and names cases it holds."""
    if fixture.get("format") != FORMAT:
        raise FixtureError(f"it has format {fixture.get('format')!r} and this self-check reads format {FORMAT}: "
                           "download the self-check and its fixture again, together")
    if not isinstance(fixture.get("checks"), list) or not isinstance(fixture.get("cases"), dict):
        raise FixtureError("it lists no checks or no cases: download the self-check and its fixture again, together")
    for entry in fixture["checks"]:
        if entry.get("kind") not in KINDS:
            raise FixtureError(f"its check {entry.get('id')!r} has the kind {entry.get('kind')!r}, which this "
                               f"self-check does not know (it knows {', '.join(KINDS)}): download the self-check "
                               "and its fixture again, together")
        missing = [case_id for case_id in entry["cases"] if case_id not in fixture["cases"]]
        if missing:
            raise FixtureError(f"its check {entry['id']!r} names the case(s) {', '.join(missing)}, which it does not hold")


# ---------------------------------------------------------------------------- running one
def public_check(entry: dict) -> Check:
    """The :class:`check_model.Check` of the fixture's check ``entry``: no points, its kind's judge."""
    return Check(entry["id"], entry["name"], 0, KINDS[entry["kind"]](entry), entry.get("hint", ""),
                 calls=entry["cases"], visibility=PUBLIC, exercise=entry["exercise"])


def run_check(ctx: Context, entry: dict) -> CheckResult:
    """The CheckResult of the fixture's check ``entry`` on ctx's namespace; never raises because of the notebook."""
    check = public_check(entry)
    exercise, name = check.exercise, check.name
    ctx.begin_check()
    started = time.monotonic()
    try:
        verdict = check.verdict(ctx)
        result = CheckResult(exercise, name, PASSED if verdict.passed else FAILED,
                             verdict.expected, verdict.got, verdict.hint)
    except NotImplementedYet as error:
        result = CheckResult(exercise, name, NOT_IMPLEMENTED, got=str(error))
    except Skipped as error:
        reason, *detail = error.args
        result = CheckResult(exercise, name, SKIPPED, got=reason, hint=" ".join(detail))
    except Exception as error:   # something the submission returned that the check could not handle
        result = CheckResult(exercise, name, FAILED, "the check to run",
                             f"it stopped with {type(error).__name__}: {error}",
                             "Return what the docstring asks for: numbers or numpy arrays of the given shapes.")
    if result.status == FAILED and ctx.warnings and "warning" not in result.got.lower():
        result.got += f" (warnings: {'; '.join(dict.fromkeys(ctx.warnings))[:200]})"
    result.seconds = time.monotonic() - started
    result.check = check.id
    return result
