"""Make the repository root importable (``import reference``) however pytest is started
(``python -m pytest`` adds the working directory, a bare ``pytest`` does not)."""
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
