"""The uid level kills every process of its kernel's uid: only in its own pid namespace.

A grader on a machine's host and one in a Docker container on it both give their kernels uid 61000
(each has its own lock files); the host's saw the container's kernels in /proc and killed them with
its own, so gradings in the container lost kernels at random (a correct notebook graded 0, or no
kernel at all). Needs root (unshare, setpriv): skipped, visibly, without it.
"""
import os
import subprocess
import time

import pytest

from grader.kernel.sandbox_uid import UID_BASE, UID_SLOTS, processes_of

UID = UID_BASE + UID_SLOTS + 7      # no slot of the level's own: no grading here gives it out


def _sleeper(*prefix):
    process = subprocess.Popen([*prefix, "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups",
                                "sleep", "60"])
    for _ in range(100):                                # until the sleeper runs as the uid
        found = subprocess.run(["pgrep", "-u", str(UID), "-x", "sleep"], capture_output=True, text=True).stdout.split()
        if found:
            return process, [int(pid) for pid in found]
        time.sleep(0.05)
    process.kill()
    pytest.fail("the sleeper never ran as its uid")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: unshare and setpriv")
def test_a_process_of_the_uid_in_another_pid_namespace_is_not_ours():
    inside, inside_pids = _sleeper("unshare", "--pid", "--fork", "--mount-proc")
    try:
        assert processes_of(UID) == [], "a process of another pid namespace was taken for ours"
        outside, outside_pids = _sleeper()
        try:
            assert sorted(processes_of(UID)) == sorted(set(outside_pids) - set(inside_pids))
        finally:
            outside.kill()
            outside.wait()
    finally:
        for pid in inside_pids:
            os.kill(pid, 9)
        inside.wait()
