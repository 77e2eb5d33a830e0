"""tests/uid_access.py: the uid level's tests are skipped only where a user's machine may lawfully keep
them from running (not root; the interpreter under a directory other users may not enter, as /root
on a fresh Debian), with the command that enables them, and the run's summary names the skips."""
import os

import pytest

from grader.kernel import confined_view
from tests import conftest, uid_access


@pytest.fixture
def python_in_a_closed_directory(tmp_path, monkeypatch):
    """The interpreter and venv as if under a directory of mode 700 (as /root is)."""
    closed = tmp_path / "home"
    (closed / "python" / "bin").mkdir(parents=True)
    (closed / "venv").mkdir()
    closed.chmod(0o700)
    open_paths = [str(closed / "python"), str(closed / "venv")]
    monkeypatch.setattr(confined_view, "python_paths", lambda: open_paths)
    return closed


def test_a_closed_directory_above_the_interpreter_is_named_once_with_the_command(python_in_a_closed_directory):
    closed = uid_access.closed_directories()
    assert str(python_in_a_closed_directory) in closed and len(closed) == len(set(closed))
    assert uid_access.enabling_command() == "chmod o+x " + " ".join(closed)
    assert closed == sorted(closed, key=lambda path: path.count("/"))       # outermost first


def test_a_directory_that_lets_others_through_is_not_named(python_in_a_closed_directory):
    python_in_a_closed_directory.chmod(0o711)           # as after the command
    assert str(python_in_a_closed_directory) not in uid_access.closed_directories()
    assert str(python_in_a_closed_directory) not in uid_access.enabling_command()


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only: another user is skipped for needing root, tested below")
def test_as_root_the_closed_directory_skips_with_its_command_and_changes_nothing(python_in_a_closed_directory):
    with pytest.raises(pytest.skip.Exception) as skipped:
        uid_access.require_uid_level()
    reason = str(skipped.value)
    assert reason.startswith(uid_access.NOT_TESTED) and uid_access.enabling_command() in reason
    assert python_in_a_closed_directory.stat().st_mode & 0o777 == 0o700


def test_a_user_who_is_not_root_is_skipped_for_that(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception, match=f"^{uid_access.NOT_TESTED}: it needs root"):
        uid_access.require_uid_level()


def test_any_other_reason_fails(monkeypatch):
    from grader.kernel import sandbox
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(uid_access, "closed_directories", lambda: [])
    monkeypatch.setattr(sandbox, "level_check", lambda level: (False, "no seccomp here (test)"))
    with pytest.raises(pytest.fail.Exception, match="no seccomp here"):
        uid_access.require_uid_level()


class Report:
    def __init__(self, reason):
        self.longrepr = ("tests/robustness/test_uid_level.py", 30, f"Skipped: {reason}")


class Terminal:
    def __init__(self, skipped):
        self.stats = {"skipped": skipped}
        self.lines = []

    def write_line(self, line, **markup):
        self.lines.append(line)


def test_the_summary_counts_every_skip_with_its_reason():
    why = f"{uid_access.NOT_TESTED}: its kernels ...; to test it: chmod o+x /root"
    terminal = Terminal([Report(why), Report(why), Report("no Python 3.15 on this machine")])
    conftest.pytest_terminal_summary(terminal)
    assert terminal.lines == ["NOT TESTED: 2 tests of the uid level: its kernels ...; to test it: chmod o+x /root",
                              "NOT TESTED: 1 tests skipped: no Python 3.15 on this machine"]
    quiet = Terminal([])
    conftest.pytest_terminal_summary(quiet)
    assert quiet.lines == []
