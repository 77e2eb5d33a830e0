"""What the merge job costs as a class grows, for the projection in ``make slurm-test``'s report.

The merge is the one serial step of a Slurm run: it copies every share's results into OUT, writes the
gradebook, the LMS files and the class report, and compares every pair of notebooks for similarity (their
fingerprints made by the tasks). Measured here on the class the test graded: the merge of its shares
copied ``copies`` times under new names (similarity off: copies would all be flagged) against the merge of
the shares as they are, for the cost per notebook and the fixed cost; and the first test of the similarity
check on each pair of the real notebooks' fingerprints, for the cost per pair.
"""
import json
import shutil
import time
from pathlib import Path

from grader.classroom.gradebook import IDENTITY_FILE
from grader.classroom.shards import MANIFEST, class_digest, merge_shards
from grader.classroom.similarity import CACHE_FILE, CODE_FILE, fingerprint, template_hashes


def replicate(shares: list[Path], copies: int, target: Path) -> list[Path]:
    """The shares with every submission ``copies`` times (``copy<j>/<name>``), as grade-batch would leave them."""
    manifests = [json.loads((share / MANIFEST).read_text(encoding="utf-8")) for share in shares]
    keys = manifests[0]["keys"]
    names = {f"copy{j}/{name}": f"copy{j}__{keys[name]}" for j in range(copies) for name in manifests[0]["class"]}
    made = []
    for share, manifest in zip(shares, manifests):
        folder = target / share.name
        folder.mkdir(parents=True)
        mine = [f"copy{j}/{name}" for j in range(copies) for name in manifest["submissions"]]
        for name in mine:
            copy = folder / names[name]
            shutil.copytree(share / keys[name.split("/", 1)[1]], copy, symlinks=True)
            identity = json.loads((copy / IDENTITY_FILE).read_text(encoding="utf-8"))
            (copy / IDENTITY_FILE).write_text(json.dumps({**identity, "relpath": name, "key": names[name],
                                                          "student": names[name]}), encoding="utf-8")
        (folder / MANIFEST).write_text(json.dumps({**manifest, "submissions": mine, "class": sorted(names),
                                                   "keys": names, "class_digest": class_digest(sorted(names))}),
                                       encoding="utf-8")
        made.append(folder)
    return made


def merge_seconds(shares: list[Path], out: Path) -> float:
    started = time.monotonic()
    merge_shards(shares, out, similarity=False)
    return time.monotonic() - started


def seconds_per_pair(out: Path) -> tuple[float, int]:
    """(seconds per pair, notebooks) of the similarity check's first test on a pair, the intersection of their
    fingerprints (grader.classroom.similarity.similar_pairs), over the real notebooks of a merged OUT: what
    nearly every pair of a class costs (the few near-identical ones are compared further)."""
    boilerplate = template_hashes()
    prints = []
    for path in sorted(out.glob(f"*/{CODE_FILE}")):
        code = path.read_text(encoding="utf-8")
        if code.strip():
            prints.append(fingerprint(code, boilerplate, path.parent / CACHE_FILE).hashes)
    pairs = [(a, b) for i, a in enumerate(prints) for b in prints[i + 1:]]
    rounds, started = 0, time.monotonic()
    while pairs and time.monotonic() - started < 0.5:
        for a, b in pairs:
            len(a & b)
        rounds += 1
    return (time.monotonic() - started) / max(rounds * len(pairs), 1), len(prints)


def projected_merge(shares: list[Path], out: Path, work: Path, notebooks: int, copies: int = 10) -> dict:
    """The merge's measured costs and its projected wall time (seconds) for ``notebooks`` notebooks."""
    class_size = len(json.loads((shares[0] / MANIFEST).read_text(encoding="utf-8"))["class"])
    merge_seconds(shares, work / "merge-warm")       # imports and caches, which a merge job pays once
    small = merge_seconds(shares, work / "merge-1")
    large = merge_seconds(replicate(shares, copies, work / f"shares-x{copies}"), work / f"merge-x{copies}")
    per_notebook = max(0.0, (large - small) / (class_size * (copies - 1)))
    fixed = max(0.0, small - per_notebook * class_size)
    per_pair, compared = seconds_per_pair(out)
    return {"class": class_size, "copies": copies, "small": small, "large": large, "per_notebook": per_notebook,
            "fixed": fixed, "per_pair": per_pair, "compared": compared,
            "projected": fixed + per_notebook * notebooks + per_pair * notebooks * (notebooks - 1) / 2}
