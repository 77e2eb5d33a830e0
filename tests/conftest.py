"""Fixtures the test packages share (the root conftest.py keeps every test's surroundings clean), and
the uid level's tests: run where the level can be made, else skipped or failed by tests/uid_access.py,
and the skipped ones named in the run's summary."""
import os
import sys
from pathlib import Path

import pytest

import student_template.keep_going
from project import PROJECT_ROOT
from grader.kernel.kernel_files import remove_tree
from tests.robustness.trees import nested
from tests.uid_access import NOT_TESTED, require_uid_level

# The notebooks whose cells the tests run in their own process import the lab's given helper as in the
# grader's work directory (and the student's folder): `from keep_going import keep_going`, the file beside them.
sys.modules.setdefault("keep_going", student_template.keep_going)


@pytest.fixture
def in_data_dir(monkeypatch):
    """The working directory is the project's data/: the fixture notebooks' loaders read ./*.mat, as
    in the grader's work directory, when their code runs in the test's own process."""
    monkeypatch.chdir(PROJECT_ROOT / "data")


@pytest.fixture
def nested_tree():
    """``nested_tree(top, levels)``: tests.robustness.trees.nested, its tree removed after the test.
    pytest's own cleanup of old temporary folders (shutil.rmtree) recurses once per level and raised
    RecursionError at the end of a later session on a tree of 3,000 or 10,000 levels left behind."""
    made = []

    def make(top: str | os.PathLike, levels: int, name: str = "d") -> int:
        made.append(Path(top) / name)
        return nested(top, levels, name)

    yield make
    for path in made:
        remove_tree(path)


def pytest_runtest_setup(item):
    if item.get_closest_marker("uid_level") is not None:
        require_uid_level()


def pytest_terminal_summary(terminalreporter):
    """One line for each reason tests were skipped (the uid level's, a Python this machine lacks), with
    why and, for the uid level, how to run them: a skip is never silent."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if NOT_TESTED in reason:
            reason = "tests of the uid level" + reason[reason.index(NOT_TESTED) + len(NOT_TESTED):]
        else:
            reason = f"tests skipped: {reason}"
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in reasons.items():
        terminalreporter.write_line(f"NOT TESTED: {count} {reason}", yellow=True, bold=True)
