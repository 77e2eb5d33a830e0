"""Grade every case of the robustness corpus end to end, in the sandbox, and judge it.

Each case must end as declared in tests/robustness/make_corpus.py, score no
more than its honest part, leak nothing and leave nothing behind outside its
working directory (see tests/robustness/harness.py).
"""
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from grader import sandbox  # noqa: E402
from grader.config import GraderConfig
from tests.robustness.harness import cell_labels, cell_text, grade_case
from tests.robustness.make_corpus import CASES

needs_sandbox = pytest.mark.skipif(sandbox.find_bwrap() is None or not sandbox.check_bwrap()[0],
                                   reason="no bubblewrap sandbox on this machine: " + sandbox.check_bwrap()[1])
KERNEL_CASES = [case for case in CASES if case.base != "none"]
FILE_CASES = [case for case in CASES if case.base == "none"]


def _describe(result):
    lines = [f"{result.name}: {result.status}, score {result.score:g} (honest part {result.honest:g}), "
             f"{result.seconds:.1f} s, cells {result.cells}"]
    lines += [f"  problem: {p}" for p in result.problems]
    lines += [f"  leak: {p}" for p in result.leaks]
    lines += [f"  escape: {p}" for p in result.escapes]
    return "\n".join(lines)


@needs_sandbox
@pytest.mark.parametrize("case", KERNEL_CASES, ids=[case.name for case in KERNEL_CASES])
def test_hostile_notebook(case, tmp_path):
    result = grade_case(case, tmp_path)
    assert result.ok, _describe(result)
    extra = _limit_checks(case, result)
    assert not extra, _describe(result) + "\n" + "\n".join(extra)


@pytest.mark.parametrize("case", FILE_CASES, ids=[case.name for case in FILE_CASES])
def test_unreadable_file(case, tmp_path):
    result = grade_case(case, tmp_path)
    assert result.ok, _describe(result)
    assert result.score == 0
    assert (result.run.out_dir / "results.json").is_file()


def _limit_checks(case, result):
    """The limits this machine enforces must show in the hostile cells' own words."""
    problems = []
    notebook = result.run.executed_notebook
    labels = cell_labels(notebook)
    config = GraderConfig()
    enforced = sandbox.cgroup_support(config.memory_limit_mb, config.max_processes)
    if "fork-bomb" in labels and ("pids" in enforced or os.geteuid() != 0):
        text = cell_text(notebook.cells[labels["fork-bomb"]])
        refused = re.search(r"fork refused at (\d+)", text)
        if not refused or int(refused.group(1)) > config.max_processes:
            problems.append(f"the fork bomb was not stopped at {config.max_processes} processes: {text[-300:]!r}")
    if "children-hog" in labels and "memory" in enforced:
        text = cell_text(notebook.cells[labels["children-hog"]])
        killed = re.search(r"children killed: (\d+)", text)
        if result.cells["children-hog"][0] == "ok" and not (killed and int(killed.group(1)) >= 1):
            problems.append(f"6 children of 450 MB each were not stopped by the memory cgroup: {text[-300:]!r}")
    return problems
