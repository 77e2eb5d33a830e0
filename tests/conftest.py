"""Fixtures the test packages share (the root conftest.py keeps every test's surroundings clean)."""
import pytest

from grader import PROJECT_ROOT


@pytest.fixture
def in_data_dir(monkeypatch):
    """The working directory is the project's data/: the fixture notebooks' loaders read ./*.mat, as
    in the grader's work directory, when their code runs in the test's own process."""
    monkeypatch.chdir(PROJECT_ROOT / "data")
