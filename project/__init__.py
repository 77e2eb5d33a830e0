"""What the whole project knows about itself: where it lives, its version, where it caches, and one
hash of its files.

The bottom of the import layers (README "Imports point one way"): it imports nothing of the project,
so that ``assignment/`` (the reference-outcome cache) and ``grader/`` (the batch's resume key, the uid
level's list of what a kernel must not read) share these facts without one reaching into the other.
"""
import hashlib
import os
from pathlib import Path

__version__ = "0.1.0"

# The repository (in the Gradescope zip: /autograder/source): the folder that holds grader/. Modules
# reach the project's other files from here, as one string each (PROJECT_ROOT / "data",
# PROJECT_ROOT / "grader/kernel/probe_driver.py"), never by counting their own depth, so that a module can
# move between folders and a search for a file's path finds every place that names it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

CACHE_ENV = "WEEK6_GRADER_CACHE"


def cache_dir() -> Path | None:
    """The machine's cache directory for the project (the reference's trained outcomes), or None when
    the cache is off: ``$WEEK6_GRADER_CACHE`` (an empty string turns it off), else
    ``$XDG_CACHE_HOME/week6-grader``, else ``~/.cache/week6-grader``."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "week6-grader"


def tree_digest(root: Path, dirs: tuple[str, ...] = (), globs: tuple[str, ...] = (),
                files: tuple[str, ...] = ()) -> str:
    """sha256 (hex) over the names and contents of the project's files that decide something: every
    file under each of ``dirs`` (compiled bytecode left out), the matches of ``globs`` and the ``files``
    that exist, all relative to ``root``. A file added, removed, renamed or edited changes it."""
    root = Path(root)
    chosen = set()
    for directory in dirs:
        chosen.update(path for path in (root / directory).rglob("*")
                      if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"))
    for pattern in globs:
        chosen.update(path for path in root.glob(pattern) if path.is_file())
    chosen.update(root / name for name in files if (root / name).is_file())
    digest = hashlib.sha256()
    for path in sorted(chosen, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
