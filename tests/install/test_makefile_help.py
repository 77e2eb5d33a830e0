"""`make` alone and `make help` list every command the Makefile has, each with its text."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _phony_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    names = set()
    for line in re.findall(r"^\.PHONY:(.*)$", text, re.MULTILINE):
        names.update(line.split())
    return names


def _help(*args: str) -> str:
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_make_alone_is_make_help():
    assert _help() == _help("help")


def test_every_phony_target_is_listed_with_a_description():
    listed = dict(re.findall(r"^  (\S+)\s+(\S.*)$", _help("help"), re.MULTILINE))
    targets = _phony_targets()
    assert {"grade", "test", "check", "help"} <= targets
    missing = sorted(targets - set(listed))
    assert not missing, f"make help does not list {missing}: add '## what it does' to their rule lines"
    assert all(len(listed[name]) > 5 for name in targets)
