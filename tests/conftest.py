"""Fixtures the test packages share (the root conftest.py keeps every test's surroundings clean)."""
import sys

import pytest

import student_template.keep_going
from grader import PROJECT_ROOT

# The notebooks whose cells the tests run in their own process import the lab's given helper as in the
# grader's work directory (and the student's folder): `from keep_going import keep_going`, the file beside them.
sys.modules.setdefault("keep_going", student_template.keep_going)


@pytest.fixture
def in_data_dir(monkeypatch):
    """The working directory is the project's data/: the fixture notebooks' loaders read ./*.mat, as
    in the grader's work directory, when their code runs in the test's own process."""
    monkeypatch.chdir(PROJECT_ROOT / "data")
