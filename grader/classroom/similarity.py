"""Near-identical submissions, for a person to look at (never a penalty).

Each notebook's code cells are joined (``OUT/<key>/submitted_code.py``, written by
the batch) and fingerprinted with copydetect's winnowing (Schleimer et al.,
the MOSS method): Python tokens with names, numbers and strings made generic
(so renamed variables still match), k-grams hashed and winnowed into a set (so
moved cells still match). The template's own fingerprints are boilerplate:
the lines every student got do not count. A pair is flagged when each of its
two notebooks has at least :data:`THRESHOLD` of its remaining tokens in common
with the other. A pair shares at least half that share of its fingerprints first
(half the threshold), which skips the exact comparison for nearly every pair of a class.

Fingerprinting is the slow part (pygments' tokenizer: about 0.2 s a notebook), so
each notebook's fingerprint is kept beside its code (``similarity.json``, plain JSON)
and made again only when its code, the template or the settings change.
"""
import hashlib
import io
import json
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from project import PROJECT_ROOT
from grader.reports.text import write_text_atomically

TEMPLATE = PROJECT_ROOT / "student_template/week6_backprop.ipynb"
CODE_FILE = "submitted_code.py"
NOISE_TOKENS = 25           # k: shorter common runs are noise (copydetect's default noise threshold)
GUARANTEE_TOKENS = 30       # every common run this long is found (window = guarantee - noise + 1)
THRESHOLD = 0.6             # share of each notebook's own tokens found in the other
MIN_TOKENS = 50             # notebooks with less code of their own than this are not compared
CACHE_FILE = "similarity.json"
MAX_CODE_CHARS = 300_000    # of a notebook's code compared (a pasted data blob must not stall the batch)


@dataclass
class Pair:
    """Two flagged submissions (keys) and the share of each one's tokens found in the other."""
    first: str
    second: str
    first_share: float
    second_share: float

    @property
    def share(self):
        return min(self.first_share, self.second_share)


def notebook_code(path):
    """The code cells of the notebook at ``path``, joined; "" when it is not a readable notebook.

    Reads the JSON only (nothing runs); IPython magics and shell lines are dropped so
    the Python tokenizer sees Python.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = data.get("cells", []) if isinstance(data, dict) else []
    except (OSError, ValueError, UnicodeDecodeError):
        return ""
    chunks = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        chunks.append("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    return ("\n\n".join(chunks) + "\n")[:MAX_CODE_CHARS]


def _fingerprint(code, boilerplate=None):
    from copydetect import CodeFingerprint

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CodeFingerprint("submission.py", NOISE_TOKENS, GUARANTEE_TOKENS - NOISE_TOKENS + 1,
                               boilerplate=boilerplate, language="python", fp=io.StringIO(code))


def template_hashes(template=TEMPLATE):
    """The fingerprints of the template's code (the boilerplate); [] when it is not there."""
    code = notebook_code(template) if template and Path(template).is_file() else ""
    return sorted(int(h) for h in _fingerprint(code).hashes) if code.strip() else []


def _stored(fingerprint, digest):
    return {"digest": digest, "k": int(fingerprint.k), "hashes": sorted(int(h) for h in fingerprint.hashes),
            "hash_idx": {str(int(h)): [int(i) for i in idx] for h, idx in fingerprint.hash_idx.items()},
            "token_coverage": int(fingerprint.token_coverage), "filtered_length": len(fingerprint.filtered_code)}


def _restored(data):
    """What :func:`copydetect.compare_files` reads of a CodeFingerprint, from :func:`_stored`. The
    offsets (which only place the copied slices back in the raw code, for a report) are not kept."""
    return SimpleNamespace(k=data["k"], hashes=set(data["hashes"]),
                           hash_idx={int(h): idx for h, idx in data["hash_idx"].items()},
                           token_coverage=data["token_coverage"], filtered_code=" " * data["filtered_length"],
                           offsets=np.array([]))


def _settings_digest(boilerplate):
    return hashlib.sha256(json.dumps([boilerplate, NOISE_TOKENS, GUARANTEE_TOKENS]).encode()).hexdigest()


def fingerprint(code, boilerplate, cache=None, settings=None):
    """The fingerprint of ``code`` with ``boilerplate`` (sorted ints) left out, from ``cache`` (a JSON
    file) when it was made from the same code, boilerplate and settings; else made and stored there."""
    settings = settings or _settings_digest(boilerplate)
    digest = hashlib.sha256((settings + "\0" + code).encode("utf-8", "replace")).hexdigest()
    if cache is not None:
        try:
            data = json.loads(Path(cache).read_text(encoding="utf-8"))
            if data.get("digest") == digest:
                return _restored(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    made = _fingerprint(code, boilerplate)
    if cache is not None:
        try:
            write_text_atomically(cache, json.dumps(_stored(made, digest)))
        except OSError:
            pass
    return made


def fingerprints(codes, caches=None, template=TEMPLATE):
    """{key: fingerprint} of the notebooks in ``codes`` ({key: code}) with enough code of their own,
    each read from its cache (``caches``: {key: fingerprint file}) or made and kept there."""
    boilerplate = template_hashes(template)
    settings = _settings_digest(boilerplate)
    prints = {}
    for key, code in sorted(codes.items()):
        if code.strip():
            made = fingerprint(code, boilerplate, (caches or {}).get(key), settings)
            if made.token_coverage >= MIN_TOKENS:
                prints[key] = made
    return prints


def similar_pairs(codes, template=TEMPLATE, threshold=THRESHOLD, caches=None):
    """[Pair] over ``codes`` ({key: code}), most similar first; ``caches``: {key: fingerprint file}."""
    from copydetect import compare_files

    prints = fingerprints(codes, caches, template)
    keys = list(prints)
    pairs = []
    for i, first in enumerate(keys):
        for second in keys[i + 1:]:
            a, b = prints[first].hashes, prints[second].hashes
            if len(a & b) < threshold / 2 * min(len(a), len(b)):
                continue
            _, (share1, share2), _ = compare_files(prints[first], prints[second])
            if min(share1, share2) >= threshold:
                pairs.append(Pair(first, second, float(share1), float(share2)))
    return sorted(pairs, key=lambda p: (-p.share, p.first, p.second))


def class_codes(out_root, keys):
    """({key: code}, {key: its fingerprint cache}) of the ``OUT/<key>/`` folders holding a notebook's
    code (:data:`CODE_FILE`, written by the batch before the grading)."""
    codes = {}
    for key in keys:
        try:
            codes[key] = (Path(out_root) / key / CODE_FILE).read_text(encoding="utf-8")
        except OSError:
            pass
    return codes, {key: Path(out_root) / key / CACHE_FILE for key in codes}


def start_fingerprints(out_root, keys):
    """Make the class's fingerprints in a thread, into their caches, while the pool grades: the batch's
    tail then reads them (1.85 s of fingerprints for 40 notebooks, 0.12 s to read them; issue 25). One
    worker leaves a core nearly free; with more, the pool's end leaves one idle. Any failure here is
    left for the tail, which makes what is missing and reports what fails. Returns the started thread."""
    def work():
        try:
            fingerprints(*class_codes(out_root, keys))
        except Exception:       # the tail tries again, and says why in the batch's notes
            pass

    thread = threading.Thread(target=work, name="week6-fingerprints", daemon=True)
    thread.start()
    return thread


def partners(pairs):
    """{key: [the other keys of its flagged pairs]}."""
    out = {}
    for pair in pairs:
        out.setdefault(pair.first, []).append(pair.second)
        out.setdefault(pair.second, []).append(pair.first)
    return out
