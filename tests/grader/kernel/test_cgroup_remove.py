"""Removing a kernel's cgroup waits only for what waiting can change.

In a container the cgroup file system is read-only: the grader cannot make a cgroup, and removing the
one it tried to make fails with EROFS at once. The removal retried every error for 2.5 s per
controller, which cost each grading 5 s in a Docker container (cgroup v1: pids and memory).
"""
import errno
from pathlib import Path

from grader.kernel import cgroup as cgroup_module
from grader.kernel.cgroup import Cgroup


def _removal_attempts(monkeypatch, errors):
    """Remove a two-directory cgroup whose rmdir raises ``errors`` in turn (then succeeds);
    returns ({directory: attempts}, seconds slept)."""
    attempts, slept, queue = {}, [], list(errors)

    def rmdir(path):
        attempts[path.name] = attempts.get(path.name, 0) + 1
        if queue:
            code = queue.pop(0)
            raise OSError(code, errno.errorcode[code], str(path))

    monkeypatch.setattr(Path, "rmdir", rmdir)
    monkeypatch.setattr(cgroup_module.time, "sleep", slept.append)
    group = Cgroup([Path("/nonexistent/pids/week6-grader-x"), Path("/nonexistent/memory/week6-grader-y")], {})
    monkeypatch.setattr(group, "kill_all", lambda: True)
    group.remove()
    return attempts, sum(slept)


def test_a_read_only_or_missing_cgroup_is_not_waited_for(monkeypatch):
    attempts, slept = _removal_attempts(monkeypatch, [errno.EROFS, errno.ENOENT])
    assert attempts == {"week6-grader-x": 1, "week6-grader-y": 1}
    assert slept == 0


def test_a_busy_cgroup_is_tried_again_until_its_processes_are_gone(monkeypatch):
    attempts, slept = _removal_attempts(monkeypatch, [errno.EBUSY, errno.EBUSY])
    assert attempts == {"week6-grader-x": 3, "week6-grader-y": 1}
    assert slept > 0
