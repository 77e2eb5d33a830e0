"""Which uid and which processes are a grading's own, at the uid level, where several graders share a
machine (a host and the Docker containers on it: one set of uids, one set of per-uid process counts,
each with its own lock files and /proc).

* It kills every process of its kernel's uid: only in its own pid namespace, and all of them there,
  even without CAP_SYS_PTRACE (root in a Docker container has none). A grader on the host saw the
  container's kernels in /proc and killed them with its own, so gradings in the container lost
  kernels at random (a correct notebook graded 0, or no kernel at all).
* It picks its uid from a random slot on, so that containers on one host rarely share a uid (and
  with it RLIMIT_NPROC's count).

Needs root (unshare, setpriv, the lock files): skipped, visibly, without it.
"""
import os
import subprocess
import sys
import time

import pytest

from project import PROJECT_ROOT
from grader.kernel.uid_slots import UID_BASE, UID_SLOTS, claim_uid, processes_of

UID = UID_BASE + UID_SLOTS + 7      # no slot of the level's own: no grading here gives it out


def _sleeper(*prefix, already=()):
    """Starts a sleep as the uid; returns its Popen and the pids of the uid's sleeps it added (those of
    `already`, earlier sleepers, are not its own: returning them made the test race its own sleeper)."""
    process = subprocess.Popen([*prefix, "setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups",
                                "sleep", "60"])
    for _ in range(100):                                # until the sleeper runs as the uid
        found = subprocess.run(["pgrep", "-u", str(UID), "-x", "sleep"], capture_output=True, text=True).stdout.split()
        new = [int(pid) for pid in found if int(pid) not in already]
        if new:
            return process, new
        time.sleep(0.05)
    process.kill()
    pytest.fail("the sleeper never ran as its uid")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: unshare and setpriv")
def test_a_process_of_the_uid_in_another_pid_namespace_is_not_ours():
    inside, inside_pids = _sleeper("unshare", "--pid", "--fork", "--mount-proc")
    try:
        assert processes_of(UID) == [], "a process of another pid namespace was taken for ours"
        outside, outside_pids = _sleeper(already=inside_pids)
        try:
            assert sorted(processes_of(UID)) == sorted(outside_pids)
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
                               f"from grader.kernel.uid_slots import processes_of; print(processes_of({UID}))"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(sorted(pids)), done.stdout
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the uid level's lock files")
def test_gradings_on_different_machines_rarely_share_a_uid():
    """Each container has its own lock files: a first claim that always took the first slot gave every
    container on a Docker host the same kernel uid, hence one shared process count (RLIMIT_NPROC)."""
    firsts = set()
    for _ in range(10):
        uid, lock = claim_uid()
        os.close(lock)                      # released: the next claim sees every slot free, as a new container
        firsts.add(uid)
    assert len(firsts) > 1, firsts
    assert all(UID_BASE <= uid < UID_BASE + UID_SLOTS for uid in firsts)
