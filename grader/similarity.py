"""Near-identical submissions, for a person to look at (never a penalty).

Each notebook's code cells are joined (``OUT/<key>/submitted_code.py``, written by
the batch) and fingerprinted with copydetect's winnowing (Schleimer et al.,
the MOSS method): Python tokens with names, numbers and strings made generic
(so renamed variables still match), k-grams hashed and winnowed into a set (so
moved cells still match). The template's own fingerprints are boilerplate:
the lines every student got do not count. A pair is flagged when each of its
two notebooks has at least :data:`THRESHOLD` of its remaining tokens in common
with the other.
"""
import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT_ROOT / "student_template" / "week6_backprop.ipynb"
CODE_FILE = "submitted_code.py"
NOISE_TOKENS = 25           # k: shorter common runs are noise (copydetect's default noise threshold)
GUARANTEE_TOKENS = 30       # every common run this long is found (window = guarantee - noise + 1)
THRESHOLD = 0.6             # share of each notebook's own tokens found in the other
MIN_TOKENS = 50             # notebooks with less code of their own than this are not compared


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
    return "\n\n".join(chunks) + "\n"


def _fingerprint(code, boilerplate=None):
    from copydetect import CodeFingerprint

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CodeFingerprint("submission.py", NOISE_TOKENS, GUARANTEE_TOKENS - NOISE_TOKENS + 1,
                               boilerplate=boilerplate, language="python", fp=io.StringIO(code))


def template_hashes(template=TEMPLATE):
    """The fingerprints of the template's code (the boilerplate); [] when it is not there."""
    code = notebook_code(template) if template and Path(template).is_file() else ""
    return list(_fingerprint(code).hashes) if code.strip() else []


def similar_pairs(codes, template=TEMPLATE, threshold=THRESHOLD):
    """[Pair] over ``codes`` ({key: code}), most similar first."""
    from copydetect import compare_files

    boilerplate = template_hashes(template)
    prints = {}
    for key, code in sorted(codes.items()):
        if code.strip():
            fingerprint = _fingerprint(code, boilerplate)
            if fingerprint.token_coverage >= MIN_TOKENS:
                prints[key] = fingerprint
    keys = list(prints)
    pairs = []
    for i, first in enumerate(keys):
        for second in keys[i + 1:]:
            if not prints[first].hashes & prints[second].hashes:
                continue
            _, (share1, share2), _ = compare_files(prints[first], prints[second])
            if min(share1, share2) >= threshold:
                pairs.append(Pair(first, second, float(share1), float(share2)))
    return sorted(pairs, key=lambda p: (-p.share, p.first, p.second))


def partners(pairs):
    """{key: [the other keys of its flagged pairs]}."""
    out = {}
    for pair in pairs:
        out.setdefault(pair.first, []).append(pair.second)
        out.setdefault(pair.second, []).append(pair.first)
    return out
