"""Which tests students see on Gradescope, and when: ``grader/reports/visibility.json``.

    {"default": "visible",
     "exercises": {"2": "after_due_date"},                  # every test of exercise 2
     "tests": {"training*": "after_published"}}             # test names, shell-style patterns

Gradescope's values: ``visible`` (at once), ``after_due_date``, ``after_published``
(once the instructor publishes the grades), ``hidden`` (never to students). A test
takes the first that applies: its name's pattern, its exercise, a visibility its
check set itself (other than ``visible``), the default. The shipped file keeps
every test ``visible``. ``WEEK6_VISIBILITY=path.json`` reads another file (to try
one out); the autograder zip's README lists the policy it was built with.
"""
import fnmatch
import json
import os
from functools import lru_cache
from pathlib import Path

POLICY_FILE = Path(__file__).with_name("visibility.json")
ENVIRONMENT = "WEEK6_VISIBILITY"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_VISIBILITY = "visible"


class VisibilityError(ValueError):
    """The policy file is not usable (not JSON, an unknown visibility)."""


def policy_path(environ=None):
    environ = os.environ if environ is None else environ
    return Path(environ.get(ENVIRONMENT) or POLICY_FILE)


@lru_cache(maxsize=8)
def _load(path, mtime_ns):
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VisibilityError(f"{path}: not a readable visibility policy ({type(error).__name__})") from None
    policy = {"default": data.get("default", DEFAULT_VISIBILITY), "exercises": dict(data.get("exercises") or {}),
              "tests": dict(data.get("tests") or {})}
    values = [policy["default"], *policy["exercises"].values(), *policy["tests"].values()]
    unknown = sorted({str(v) for v in values if v not in VISIBILITIES})
    if unknown:
        raise VisibilityError(f"{path}: unknown visibility {', '.join(unknown)} (use {', '.join(VISIBILITIES)})")
    return policy


def load_policy(path=None):
    """The policy as {"default", "exercises", "tests"}; raises :class:`VisibilityError`."""
    path = Path(path) if path is not None else policy_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _load(str(path), mtime)


def visibility_of(number, name, own=DEFAULT_VISIBILITY, policy=None):
    """The visibility of the test ``name`` of exercise ``number`` (``own``: what its check set)."""
    policy = policy or load_policy()
    for pattern, value in policy["tests"].items():
        if fnmatch.fnmatchcase(name, pattern):
            return value
    if number in policy["exercises"]:
        return policy["exercises"][number]
    if own and own != DEFAULT_VISIBILITY:
        return own
    return policy["default"]


def describe(policy=None):
    """The policy in words, one line each (for the autograder zip's README)."""
    policy = policy or load_policy()
    lines = [f"- every other test: `{policy['default']}`"]
    lines[:0] = [f"- tests of exercise {number}: `{value}`" for number, value in policy["exercises"].items()]
    lines[:0] = [f"- tests named like `{pattern}`: `{value}`" for pattern, value in policy["tests"].items()]
    return lines
