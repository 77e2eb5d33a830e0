"""A class graded in shares on several machines, and the shares merged back into one class.

    result = grade_batch("submissions/", "out/shard-2", BatchOptions(shard=(2, 4)))  # the 2nd of 4 disjoint shares
    merged = merge_shards(["out/shard-1", ..., "out/shard-4"], "out/class")

Each run writes ``OUT/shard.json`` (:func:`write_manifest`): which share of which class
(every submission's name and key) the directory holds, and the grader's fingerprint.
:func:`merge_shards` checks the shares fit together (one class, one n, each k once, every
submission once) before it copies them into one ``OUT`` and writes the class's files.
"""
import hashlib
import json
import shutil
import time
from collections import Counter
from pathlib import Path

from grader.classroom.gradebook import read_identity
from grader.classroom.lms_export import DEFAULT_ASSIGNMENT
from grader.classroom.outputs import OVERRIDES_FILE, BatchError, BatchResult, finish_outputs, overrides_for
from grader.classroom.submission_records import Submission


MANIFEST = "shard.json"


def parse_shard(text):
    """"2/4" -> (2, 4); k counts from 1. Raises :class:`BatchError` for anything else."""
    if isinstance(text, (tuple, list)):
        k, n = text
    else:
        try:
            k, n = (int(part) for part in str(text).split("/"))
        except ValueError:
            raise BatchError(f"--shard must look like k/n (e.g. 2/4), not {text!r}") from None
    if not (n >= 1 and 1 <= k <= n):
        raise BatchError(f"shard {k}/{n}: k must be between 1 and n")
    return int(k), int(n)


def shard_of(paths, shard):
    """The ``k``-th of ``n`` shares of the sorted list: every n-th, starting at index k-1.

    Disjoint, together they cover the list, and no two shares differ by more than one.
    """
    if shard is None:
        return list(paths)
    k, n = parse_shard(shard)
    return [path for index, path in enumerate(paths) if index % n == k - 1]


def write_manifest(out_root, names, class_names, keys, shard, fingerprint, **more):
    data = {"shard": list(shard) if shard else None, "submissions": names, "class": class_names, "keys": keys,
            "class_digest": class_digest(class_names), "grader_fingerprint": fingerprint, **more}
    (Path(out_root) / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def class_digest(names):
    return hashlib.sha256("\0".join(names).encode()).hexdigest()


def _known(relpath, key, identity):
    """A submission as a merged OUT knows it (from its ``submission.json``), for overrides."""
    fields = {k: v for k, v in identity.items() if k in Submission.__dataclass_fields__ and k != "path"}
    return Submission(path=Path(relpath), **{**fields, "relpath": relpath, "key": key})


def merge_shards(shard_dirs, out_root, *, allow_partial=False, class_report=True, overrides=None,
                 assignment=DEFAULT_ASSIGNMENT, similarity=True, missing_reasons=None):
    """Combine the OUT directories of several :func:`grade_batch` runs (shards) into ``out_root``.

    Copies each submission's results directory into ``out_root`` (unless it is
    already there), then writes one gradebook, ``shard.json``, the LMS files and the
    class report. The shards' ``shard.json`` files must describe the same class and
    fit together: the same n, each k once, every submission exactly once.
    ``allow_partial``: merge what is there (a folder without ``shard.json`` is a share that did not
    finish: grade-batch writes it last); the submissions of missing shards get
    rows with status ``missing``, whose message is ``missing_reasons[k]`` for shard k where
    given (why it is missing: e.g. its Slurm task failed). ``overrides``: an overrides CSV;
    without one, the overrides the shards were graded with (they must agree). Returns a
    :class:`BatchResult` (nothing graded).
    """
    started = time.monotonic()
    out_root = Path(out_root)
    manifests = []
    unfinished = []
    for directory in map(Path, shard_dirs):
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError
        except (OSError, ValueError):
            if not (allow_partial and directory.is_dir()):
                raise BatchError(f"{directory} holds no readable {MANIFEST}: not the output of a grade-batch run, "
                                 "or one that did not finish (--allow-partial lists its students as missing)") from None
            unfinished.append(directory)     # grade-batch writes shard.json last: this share did not finish
            continue
        manifests.append((directory, manifest))
    if not manifests:
        raise BatchError("nothing to merge" + (f": no share finished ({', '.join(map(str, unfinished))})"
                                               if unfinished else ""))

    classes = {class_digest(m.get("class") or []) for _, m in manifests}
    if len(classes) != 1:
        raise BatchError("the shards were made from different sets of submissions; grade them from the same directory")
    class_names = list(manifests[0][1].get("class") or [])
    keys = dict(manifests[0][1].get("keys") or {})
    sizes = {m["shard"][1] if m.get("shard") else 1 for _, m in manifests}
    if len(sizes) != 1:
        raise BatchError(f"the shards split the class differently (n = {', '.join(map(str, sorted(sizes)))})")
    n = sizes.pop()
    seen_k = Counter(m["shard"][0] if m.get("shard") else 1 for _, m in manifests)
    repeated = sorted(k for k, count in seen_k.items() if count > 1)
    if repeated:
        raise BatchError(f"shard(s) {', '.join(f'{k}/{n}' for k in repeated)} given more than once")
    missing_k = sorted(set(range(1, n + 1)) - set(seen_k))
    if missing_k and not allow_partial:
        raise BatchError(f"shard(s) {', '.join(f'{k}/{n}' for k in missing_k)} missing "
                         "(allow_partial / --allow-partial merges what is there)")

    owner = {}
    for directory, manifest in manifests:
        for name in manifest.get("submissions", []):
            if name in owner:
                raise BatchError(f"{name} is in two shards ({owner[name]} and {directory})")
            owner[name] = directory
    unknown = set(owner) - set(class_names)
    if unknown:
        raise BatchError(f"{len(unknown)} submission(s) not in the class the shards were made from")

    stored = {d: (d / OVERRIDES_FILE).read_bytes() for d, _ in manifests if (d / OVERRIDES_FILE).is_file()}
    if overrides is None and stored:
        if len(set(stored.values())) > 1 or len(stored) != len(manifests):
            raise BatchError("the shards were graded with different overrides; give the ones to use (--overrides)")
        overrides = next(iter(stored))  / OVERRIDES_FILE

    out_root.mkdir(parents=True, exist_ok=True)
    for name, directory in owner.items():
        key = keys.get(name) or Path(name).stem
        source, target = directory / key, out_root / key
        if source.is_dir() and source.resolve() != target.resolve():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, symlinks=True)

    known = [_known(name, keys.get(name) or Path(name).stem, read_identity(out_root / (keys.get(name) or Path(name).stem)))
             for name in class_names if name in owner]
    override_table, override_note = overrides_for(out_root, overrides, known)
    fingerprints = {m.get("grader_fingerprint") for _, m in manifests}
    result = BatchResult(out_root=out_root, fingerprint=fingerprints.pop() if len(fingerprints) == 1 else "")
    result.resumed = sorted(owner)
    if unfinished:
        result.notes.append(f"{len(unfinished)} folder(s) hold a share that did not finish (no {MANIFEST}): "
                            + ", ".join(map(str, unfinished)))
    write_manifest(out_root, sorted(owner), class_names, keys, None, result.fingerprint,
                    merged_from=[str(d) for d, _ in manifests], missing_shards=[f"{k}/{n}" for k in missing_k])
    entries = [(name, (keys.get(name) or Path(name).stem) if name in owner else None) for name in class_names]
    reasons = {name: missing_reasons[k] for k in missing_k if k in (missing_reasons or {})
               for name in shard_of(class_names, (k, n))}
    finish_outputs(result, entries, overrides=override_table, override_note=override_note, class_report=class_report,
                   lms=assignment, similarity=similarity, missing_reasons=reasons)
    result.elapsed = time.monotonic() - started
    return result
