"""The uid level kills every process of its kernel's uid: only in its own pid namespace, and all of them
there, even without CAP_SYS_PTRACE (root in a Docker container has none).

A grader on a machine's host and one in a Docker container on it both give their kernels uid 61000
(each has its own lock files); the host's saw the container's kernels in /proc and killed them with
its own, so gradings in the container lost kernels at random (a correct notebook graded 0, or no
kernel at all). Needs root (unshare, setpriv): skipped, visibly, without it.
"""
import os
import subprocess
import sys
import time

import pytest

from grader import PROJECT_ROOT
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


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: setpriv")
def test_root_without_ptrace_rights_still_sees_the_processes_of_the_uid():
    """As in a container: the ns/pid link of another uid's process is closed to it, its status is not."""
    sleeper, pids = _sleeper()
    try:
        done = subprocess.run(["setpriv", "--bounding-set=-sys_ptrace", sys.executable, "-c",
                               f"from grader.kernel.sandbox_uid import processes_of; print(processes_of({UID}))"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(sorted(pids)), done.stdout
    finally:
        sleeper.kill()
        sleeper.wait()
