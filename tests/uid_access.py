"""Whether the tests of the uid sandbox level can run here: the one place that decides it.

The uid level runs each kernel as an unprivileged uid of its own, which must pass through every
directory above the interpreter and the venv (Landlock then confines it to them). Two things a
user's machine may lawfully lack skip those tests, visibly (the run's summary says so, and how to
run them): root, and that passage, e.g. a Python under /root, which is mode 700 on a fresh Debian.
The tests never change a permission outside the clone; `.ci/run` opens the path (o+x) and runs them.
Anything else that keeps the level from being made fails the test with the reason.

Tests ask for it with ``@pytest.mark.uid_level`` (tests/conftest.py) or ``require_uid_level()``.
"""
import os
from pathlib import Path
from typing import List

import pytest

# the start of every such skip's reason: tests/conftest.py counts them in the run's summary by it
NOT_TESTED = "uid level not tested"


def closed_directories() -> List[str]:
    """Directories above the interpreter and the venv that other users may not enter (no o+x),
    outermost first: what a kernel of its own uid could not pass."""
    from grader.kernel.confined_view import python_paths
    closed = []
    for path in python_paths():
        for parent in reversed(Path(path).parents):
            if not os.stat(parent).st_mode & 0o001 and str(parent) not in closed:
                closed.append(str(parent))
    return closed


def enabling_command() -> str:
    """The one command that lets the uid level's kernels through, or "" when nothing blocks them."""
    closed = closed_directories()
    return f"chmod o+x {' '.join(closed)}" if closed else ""


def require_uid_level() -> None:
    """Skip (not root; the interpreter out of other users' reach) or fail (anything else) unless
    the uid level can be made here."""
    if os.geteuid() != 0:
        pytest.skip(f"{NOT_TESTED}: it needs root, and these tests run as uid {os.geteuid()}")
    command = enabling_command()
    if command:
        pytest.skip(f"{NOT_TESTED}: its kernels run as other users, who may not enter "
                    f"{', '.join(closed_directories())} above this Python and its venv; to test it: {command}")
    from grader.kernel import sandbox
    ok, why = sandbox.level_check("uid")
    if not ok:
        pytest.fail(f"the uid level cannot be made on this machine: {why}", pytrace=False)
