"""CI's own pieces (.ci/run and the quick check it and make sid-check give each further Python,
.ci/quick-check): the inline Python and the fixture named run against this tree. A stale import
there shows only on CI, after the whole suite has passed (it once read points from a module that
no longer exported them)."""
import json
import re
import subprocess
import sys
from pathlib import Path

from assignment import EXERCISE_POINTS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / ".ci" / "quick-check").read_text(encoding="utf-8")


def grade_check_source() -> str:
    """The Python that grade_example feeds from its here-document."""
    found = re.findall(r"<<'PY'\n(.*?)\nPY\n", SCRIPT, flags=re.S)
    assert len(found) == 1, "expected one here-document of Python in .ci/quick-check"
    return found[0]


def run_grade_check(tmp_path: Path, score: float) -> subprocess.CompletedProcess:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"score": score}))
    return subprocess.run([sys.executable, "-", str(results)], input=grade_check_source(), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_example_check_accepts_full_marks(tmp_path):
    done = run_grade_check(tmp_path, sum(EXERCISE_POINTS.values()))
    assert done.returncode == 0, done.stderr


def test_the_example_check_refuses_less_than_full_marks(tmp_path):
    done = run_grade_check(tmp_path, sum(EXERCISE_POINTS.values()) - 1)
    assert done.returncode == 1 and "points of" in done.stdout, done.stderr


def test_the_faulty_fixture_it_names_exists():
    from tests.grader.fixtures import FIXTURES
    name = re.search(r"^FAULTY_FIXTURE=(\S+)", SCRIPT, flags=re.M).group(1)
    assert name in {fixture.name for fixture in FIXTURES}, name


def test_the_sid_check_is_a_real_check_of_ci_and_its_pythons_are_supported():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^REAL_CHECKS\+=\(sid-check\)$", run, flags=re.M)
    default = re.search(r'^pythons=\(\$\{SID_PYTHONS:-([0-9. ]+)\}\)$', (ROOT / "tools" / "sid-check").read_text(),
                        flags=re.M).group(1).split()
    supported = subprocess.run(["bash", str(ROOT / "tools" / "find-python"), "--versions"], capture_output=True,
                               text=True, timeout=30).stdout.split()
    assert default and set(default) <= set(supported), (default, supported)


def test_the_sid_tree_shares_the_machines_uid_claims():
    """A grading in the tree and one outside must not take the same uid (each would kill the other's kernels)."""
    from grader.kernel.uid_slots import LOCK_DIR
    script = (ROOT / "tools" / "sid-check").read_text()
    assert f'mount --bind /run/{LOCK_DIR} "$tree/run/{LOCK_DIR}"' in script
