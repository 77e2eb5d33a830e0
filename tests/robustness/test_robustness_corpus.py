"""Grade every case of the robustness corpus end to end, under each sandbox level, and judge it.

Each case must end as declared in tests/robustness/make_corpus.py, score no
more than its honest part, leak nothing and leave nothing behind outside its
working directory (see tests/robustness/harness.py). Every kernel case runs
under ``bwrap`` and under ``uid`` (forced). A level that cannot be made here
fails, with the reason; only the uid level where the tests do not run as root
(which it needs) is skipped. A whole-sandbox cap this machine does not enforce
(no cgroup to count processes or memory) makes its case a visible skip saying
"not tested", after everything else of the case was checked: never a pass.
"""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grader.kernel import sandbox# noqa: E402
from tests.robustness.harness import cell_labels, cell_text, config_for, grade_case  # noqa: E402
from tests.robustness.level_fixtures import require_level  # noqa: E402
from tests.robustness.make_corpus import CASES, DISK_FILL_BYTES  # noqa: E402

LEVELS = ["bwrap", "uid"]
KERNEL_CASES = [case for case in CASES if case.base != "none"]
FILE_CASES = [case for case in CASES if case.base == "none"]
DISK_BOUND = 2**30          # a notebook filling its disk is stopped below this many bytes written
# hostile cell label -> the whole-sandbox cap (grader.kernel.sandbox.enforced_caps) its check needs
CAP_OF_CELL = {"fork-bomb": "processes", "children-hog": "memory"}


def _describe(result):
    lines = [f"{result.name}: {result.status}, score {result.score:g} (honest part {result.honest:g}), "
             f"{result.seconds:.1f} s, cells {result.cells}"]
    lines += [f"  problem: {p}" for p in result.problems]
    lines += [f"  leak: {p}" for p in result.leaks]
    lines += [f"  escape: {p}" for p in result.escapes]
    return "\n".join(lines)


@pytest.mark.parametrize("case", KERNEL_CASES, ids=[case.name for case in KERNEL_CASES])
@pytest.mark.parametrize("level", LEVELS)
def test_hostile_notebook_is_confined_and_graded_as_declared(level, case, tmp_path):
    require_level(level)
    result = grade_case(case, tmp_path, {"sandbox": level})
    assert result.ok, _describe(result)
    assert result.run.sandbox_level == level
    problems, not_tested = _limit_checks(case, result, level)
    assert not problems, _describe(result) + "\n" + "\n".join(problems)
    if result.not_tested or not_tested:
        pytest.skip("not tested here: " + "; ".join(result.not_tested + not_tested))


@pytest.mark.parametrize("case", FILE_CASES, ids=[case.name for case in FILE_CASES])
def test_unreadable_file_scores_zero_and_writes_results(case, tmp_path):
    result = grade_case(case, tmp_path)
    assert result.ok, _describe(result)
    assert result.score == 0
    assert (result.run.out_dir / "results.json").is_file()


def _limit_checks(case, result, level):
    """(problems, not tested): the limits must show in the hostile cells' own words; a cap this
    machine does not enforce under ``level`` is "not tested", with the reason."""
    problems, not_tested = [], []
    notebook = result.run.executed_notebook
    labels = cell_labels(notebook)
    config = config_for(case, {"sandbox": level})
    caps = sandbox.enforced_caps(level, config)
    for label, cap in CAP_OF_CELL.items():
        if label in labels and cap not in caps:
            not_tested.append(f"{label}: the {cap} cap, which the {level} level does not enforce on this machine "
                              f"({sandbox.enforcement(config, level).get(cap, 'no cgroup for it here')})")
    if "fork-bomb" in labels and "processes" in caps:
        text = cell_text(notebook.cells[labels["fork-bomb"]])
        refused = re.search(r"fork refused at (\d+)", text)
        if not refused or int(refused.group(1)) > config.max_processes:
            problems.append(f"the fork bomb was not stopped at {config.max_processes} processes: {text[-300:]!r}")
    if "children-hog" in labels and "memory" in caps:
        text = cell_text(notebook.cells[labels["children-hog"]])
        stopped = re.search(r"children killed: (\d+) of \d+ refused: (\d+)", text)
        if result.cells["children-hog"][0] == "ok" and not (stopped and int(stopped[1]) + int(stopped[2]) >= 1):
            problems.append(f"6 children of 450 MB each were not stopped by the memory cap: {text[-300:]!r}")
    if "disk-fill" in labels:
        text = cell_text(notebook.cells[labels["disk-fill"]])
        wrote = [int(n) for n in re.findall(r"disk fill: wrote (\d+) bytes", text)]
        if not wrote or max(wrote) >= DISK_BOUND:
            problems.append(f"the disk fill of {DISK_FILL_BYTES / 2**30:g} GB was not stopped below "
                            f"{DISK_BOUND / 2**30:g} GB: {text[-300:]!r}")
    return problems, not_tested
