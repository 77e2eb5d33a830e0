"""Each submission's key, unique in its class, and the one submission a text names (``ONLY=``).

The key names ``OUT/<key>/`` and the gradebook's identity: the student's id where the download gives
one (Gradescope sid, Canvas user id, Moodle participant id), else the notebook's path below the root
without ``.ipynb`` (``sec1/alice.ipynb`` -> ``sec1__alice``; a notebook at the top keeps its stem, as
the contract says). Keys never clash, whatever the case of the names: a second ``alice`` becomes
``alice~2`` (in sorted order, so stably).
"""
import hashlib
import re
from pathlib import PurePosixPath

KEY_UNSAFE = re.compile(r"[/\\\x00]")
EMPTY_KEYS = {"", ".", ".."}


class SelectError(ValueError):
    """A text names no submission, or several."""


def _key_of(submission):
    if submission.key:
        return submission.key
    if submission.source in ("canvas", "moodle") and submission.lms_id:
        return submission.lms_id
    path = PurePosixPath(submission.relpath)
    parts = [*path.parent.parts, path.stem] if path.parent.parts else [path.stem]
    return "__".join(parts)


def assign_keys(submissions):
    """Give each submission a unique key (in place, in relpath order); see the module's doc."""
    submissions.sort(key=lambda s: s.relpath)
    taken = set()
    for submission in submissions:
        base = KEY_UNSAFE.sub("_", _key_of(submission))
        if base in EMPTY_KEYS:
            base = "_" + hashlib.sha256(submission.relpath.encode()).hexdigest()[:8]
        key, n = base, 1
        while key.lower() in taken:
            n += 1
            key = f"{base}~{n}"
        taken.add(key.lower())
        submission.key = key
    return submissions


def select(submissions, text):
    """The one submission that ``text`` names (key, file, path, student, name, email); raises
    :class:`SelectError` when none or several do."""
    wanted = str(text).strip().lower()
    matches = [s for s in submissions if wanted in s.names()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SelectError(f"no submission is {text!r} (give a key, file name, path, student id, name or email)")
    raise SelectError(f"{text!r} names {len(matches)} submissions: "
                      + ", ".join(s.relpath for s in matches[:10]) + "; give its path or key")
