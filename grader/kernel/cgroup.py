"""The cgroup a confined kernel runs in, where this machine lets the grader make one.

Below the grader's own cgroup (v1: a directory per ``pids`` and ``memory``
controller; v2: one directory, the controllers delegated to the grader), one
cgroup per kernel: ``pids.max`` = ``max_processes`` (tasks, threads included)
and a memory limit of ``memory_limit_mb`` for the whole sandbox, so a fork bomb
hits a wall, and running out of memory kills a process of the sandbox (the
cgroup's own OOM killer), never one of the machine. The kernel enters it by a
small shell prefix (:func:`cgroup_prefix`) at the bwrap and uid levels alike;
where no cgroup can be made (not root, nothing delegated) the levels say so
(:func:`grader.kernel.sandbox.enforcement`) and rely on the rlimits.
"""
import errno
import functools
import os
import secrets
import signal
import time
from pathlib import Path


CGROUP_PREFIX = "week6-grader-"
OPTIONAL_LIMITS = {"memory.swap.max"}
# Enters the cgroup directories named before "--" (writes its pid), then execs the rest.
CGROUP_ENTER = ('n=0; for d; do if [ "$d" = -- ]; then break; fi; '
                'echo $$ > "$d/cgroup.procs" || exit 125; n=$((n+1)); done; shift $((n+1)); exec "$@"')


class Cgroup:
    """One cgroup per grading run, below the grader's own cgroup: v1 (a directory per
    controller) or v2 (one directory). Limits: pids.max and the memory limit."""

    def __init__(self, dirs, limits):
        self.dirs = dirs          # [Path]
        self.limits = limits      # {Path: {file: value}}

    def create(self):
        for directory in self.dirs:
            directory.mkdir(exist_ok=True)
            for name, value in self.limits.get(directory, {}).items():
                try:
                    (directory / name).write_text(str(value))
                except FileNotFoundError:
                    if name not in OPTIONAL_LIMITS:
                        raise

    def pids(self):
        found = set()
        for directory in self.dirs:
            try:
                found.update(int(pid) for pid in (directory / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self, wait=5.0):
        return kill_until_gone(self.pids, wait, first=self._kill_atomically)

    def _kill_atomically(self):
        for directory in self.dirs:
            kill_file = directory / "cgroup.kill"        # v2, kernel 5.14+: kills atomically
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                except OSError:
                    pass

    def remove(self):
        self.kill_all()
        for directory in self.dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except OSError as error:
                    # EBUSY: its last processes are still exiting. Anything else (never made: ENOENT, or
                    # EROFS on a container's read-only cgroupfs) will not change by waiting.
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.05)


def kill_until_gone(find_pids, wait=5.0, interval=0.05, first=None):
    """SIGKILL what ``find_pids()`` lists (after ``first()``, each round) until it lists
    nothing (True), or ``wait`` seconds pass (False)."""
    deadline = time.monotonic() + wait
    while True:
        if first is not None:
            first()
        pids = find_pids()
        if not pids or time.monotonic() > deadline:
            return not pids
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(interval)


def _cgroup_mounts():
    """{"pids"/"memory": (mount point, mount root)} for cgroup v1, {"": ...} for the v2 hierarchy."""
    mounts = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return mounts
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, point, fstype, options = fields[3], fields[4], tail[0], tail[2]
        if fstype == "cgroup":
            for option in options.split(","):
                if option in ("pids", "memory"):
                    mounts[option] = (point, root)
        elif fstype == "cgroup2":
            mounts.setdefault("", (point, root))
    return mounts


def _own_cgroup_dir(mount, own_path):
    point, root = mount
    if root != "/" and not (own_path == root or own_path.startswith(root.rstrip("/") + "/")):
        return None
    relative = own_path[len(root.rstrip("/")):] if root != "/" else own_path
    directory = Path(point + relative.rstrip("/") if relative.strip("/") else point)
    return directory if directory.is_dir() else None


def _own_cgroups():
    own = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                own[controller] = parts[2]
    return own


def plan_cgroup(config):
    """A :class:`Cgroup` for one grading run (nothing created yet), or None where this machine
    has no cgroup controller the grader may use (not root, no delegation, controllers missing)."""
    if not (config.max_processes or config.memory_limit_mb):
        return None
    mounts, own = _cgroup_mounts(), _own_cgroups()
    name = CGROUP_PREFIX + secrets.token_hex(6)
    memory_bytes = int(config.memory_limit_mb) * 2**20
    dirs, limits = [], {}
    if "pids" in mounts or "memory" in mounts:                    # v1: one hierarchy per controller
        for controller, limit_file, value in (("pids", "pids.max", config.max_processes),
                                              ("memory", "memory.limit_in_bytes", memory_bytes)):
            if controller not in mounts or not value or controller not in own:
                continue
            parent = _own_cgroup_dir(mounts[controller], own[controller])
            if parent is not None:
                dirs.append(parent / name)
                limits[parent / name] = {limit_file: value}
    elif "" in mounts and "" in own:                              # v2: controllers must be delegated to us
        parent = _own_cgroup_dir(mounts[""], own[""])
        if parent is not None:
            try:
                enabled = (parent / "cgroup.subtree_control").read_text().split()
            except OSError:
                enabled = []
            wanted = {}
            if "pids" in enabled and config.max_processes:
                wanted["pids.max"] = config.max_processes
            if "memory" in enabled and memory_bytes:
                wanted["memory.max"] = memory_bytes
                wanted["memory.swap.max"] = 0          # optional: only where swap is accounted
            if wanted:
                dirs.append(parent / name)
                limits[parent / name] = wanted
    return Cgroup(dirs, limits) if dirs else None


def remove_stale_cgroups(cgroup, older_than=3600):
    """Empty cgroups of graders that died without cleaning up (an hour old or more)."""
    for parent in {directory.parent for directory in cgroup.dirs}:
        try:
            entries = [e for e in parent.iterdir() if e.name.startswith(CGROUP_PREFIX)]
        except OSError:
            continue
        for entry in entries:
            try:
                if time.time() - entry.stat().st_mtime > older_than and not (entry / "cgroup.procs").read_text().strip():
                    entry.rmdir()
            except OSError:
                pass


@functools.lru_cache(maxsize=None)
def cgroup_support(memory_limit_mb=2048, max_processes=256):
    """What a cgroup enforces here: a set of "pids" / "memory" (empty: no cgroup can be made).
    Tried once per process, by making one and removing it."""
    from types import SimpleNamespace
    cgroup = plan_cgroup(SimpleNamespace(memory_limit_mb=memory_limit_mb, max_processes=max_processes))
    if cgroup is None:
        return frozenset()
    try:                      # can we really? (read-only cgroupfs, no permission, limit file missing)
        cgroup.create()
    except OSError:
        cgroup.remove()
        return frozenset()
    remove_stale_cgroups(cgroup)
    found = set()
    for files in cgroup.limits.values():
        found.update("pids" if name.startswith("pids") else "memory" for name in files)
    cgroup.remove()
    return frozenset(found)


def cgroup_prefix(config):
    """(the :class:`Cgroup` planned for one kernel or None, the command words that enter it): the
    cgroup is made when the kernel starts (LaunchPrefix.prepare), at every level that uses one."""
    cgroup = plan_cgroup(config) if cgroup_support(config.memory_limit_mb, config.max_processes) else None
    if cgroup is None:
        return None, []
    return cgroup, ["/bin/sh", "-c", CGROUP_ENTER, "week6-cgroup", *map(str, cgroup.dirs), "--"]
