"""An on-disk cache of the reference's trained outcomes, shared by every grading on this machine.

Training the reference from the grader's initializations (exercises 1, 2 and 3,
``train_restarts`` runs each) takes seconds and gives the same answer for every
submission, so it is done once and kept in ``$WEEK6_GRADER_CACHE`` (default
``$XDG_CACHE_HOME/week6-grader``, else ``~/.cache/week6-grader``; set the
variable to an empty string to turn the cache off).

A file's name carries a key that changes whenever the answer could: the
exercise, the restarts, its initializations' seed, the training setup and
optimizer options, a fingerprint of the sources that decide the outcome (every
file of ``reference/``, ``data/*.mat``, ``assignment/kit/reference_runs.py`` and this
file), the grader's version and numpy's and scipy's versions. A stale, damaged
or tampered file is never trusted: the weights must have the network's size and
be finite, and the stored accuracy must be what the reference's forward pass
gives for them on today's data, or the file is ignored and the training runs.
Files are written atomically (write, then rename), so parallel graders never
read half a file; a cache directory that cannot be written only costs the time.
"""
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy

# the project's root, version and cache directory are the neutral module's (project/), shared with the grader
from project import CACHE_ENV, PROJECT_ROOT, __version__, cache_dir, tree_digest

SOURCE_DIRS = ("reference",)
SOURCE_GLOBS = ("data/*.mat",)
SOURCE_FILES = ("assignment/kit/reference_runs.py", "assignment/kit/reference_cache.py")


@lru_cache(maxsize=None)
def sources_fingerprint(root=PROJECT_ROOT):
    """sha256 over the files that decide the reference's trained outcomes (names and contents)."""
    return tree_digest(root, SOURCE_DIRS, SOURCE_GLOBS, SOURCE_FILES)


def cache_key(exercise, restarts, seed, setup, method, options):
    """The hex key of one trained outcome: everything its value depends on."""
    material = {"exercise": str(exercise), "restarts": int(restarts), "seed": int(seed), "setup": repr(setup),
                "method": str(method), "options": repr(sorted(dict(options).items())),
                "sources": sources_fingerprint(), "grader": __version__,
                "numpy": np.__version__, "scipy": scipy.__version__}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _path(directory, exercise, restarts, key):
    return Path(directory) / f"reference-ex{exercise}-r{restarts}-{key[:32]}.json"


def load(exercise, restarts, key, n_params, accuracy_of):
    """(accuracy, W) from the cache, or None. ``accuracy_of(W)`` must reproduce the stored accuracy."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        stored = json.loads(_path(directory, exercise, restarts, key).read_text(encoding="utf-8"))
        if stored.get("key") != key:
            return None
        W = np.asarray(stored["W"], dtype=float)
        accuracy = float(stored["accuracy"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if W.shape != (n_params,) or not np.all(np.isfinite(W)) or accuracy_of(W) != accuracy:
        return None
    return accuracy, W


def store(exercise, restarts, key, accuracy, W):
    """Write one outcome (atomically); any OSError leaves the cache as it was."""
    directory = cache_dir()
    if directory is None:
        return
    path = _path(directory, exercise, restarts, key)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # repr of a float64 (what json writes) reads back exactly
        text = json.dumps({"key": key, "exercise": str(exercise), "restarts": int(restarts),
                           "accuracy": float(accuracy), "W": np.asarray(W, dtype=float).tolist()})
        handle, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass
