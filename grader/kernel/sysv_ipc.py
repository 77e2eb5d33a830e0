"""System V IPC objects (shared memory, semaphore sets, message queues) a uid owns, and their removal.

They live in the machine's IPC namespace, not in any process: one made by a kernel at the uid
level (which has no IPC namespace of its own) would outlive the grading, and the next grading
given the same uid could attach it (memory held, a channel between two submissions). The
seccomp filter refuses every System V call (:mod:`grader.kernel.seccomp_filter`); the uid
level still removes whatever such objects its uid owns (or made) before a uid is handed out and
after each grading (:mod:`grader.kernel.sandbox_uid`), so nothing made some other way (an older
grader, a process of that uid outside the grader) survives either.
"""
import ctypes
import ctypes.util
from pathlib import Path

IPC_RMID = 0
SYSVIPC = Path("/proc/sysvipc")
# /proc/sysvipc file -> the column of the object's id, and the libc call that removes one
KINDS = {"shm": ("shmid", "shmctl"), "sem": ("semid", "semctl"), "msg": ("msqid", "msgctl")}


def ipc_objects_of(uid: int) -> list[tuple[str, int]]:
    """[(kind, id)] of the objects whose owner or creator is ``uid`` ("shm", "sem" or "msg")."""
    found = []
    for kind, (id_column, _) in KINDS.items():
        try:
            lines = (SYSVIPC / kind).read_text().splitlines()
        except OSError:             # a kernel without System V IPC: nothing to remove
            continue
        if not lines:
            continue
        header = lines[0].split()
        for line in lines[1:]:
            fields = dict(zip(header, line.split()))
            if str(uid) in (fields.get("uid"), fields.get("cuid")):
                found.append((kind, int(fields[id_column])))
    return found


def remove_ipc_of(uid: int) -> list[tuple[str, int]]:
    """Remove every System V object of ``uid`` (the grader is root); the ones that remain."""
    objects = ipc_objects_of(uid)
    if objects:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        for kind, ipc_id in objects:
            call = getattr(libc, KINDS[kind][1])
            if kind == "sem":
                call(ipc_id, 0, IPC_RMID)
            else:
                call(ipc_id, IPC_RMID, None)
    return ipc_objects_of(uid)
