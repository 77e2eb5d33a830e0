"""The kernel session's restart (grader/kernel/kernel_session.py) with real kernels: after a death the
cells that ran are replayed, and a replayed cell that dies once more is given one more fresh kernel
before the notebook goes on without it."""
from grader.config import GraderConfig
from tests.robustness.level_fixtures import cell_text, run_cells

# cell 0 counts its runs in a file of the working directory and dies on the runs given
COUNTED_IMPORTS = """
import os
with open("runs.txt", "a") as handle:
    handle.write("x")
runs = len(open("runs.txt").read())
IMPORTED = True
if runs in DYING_RUNS:
    os._exit(1)
"""
KILLS_ITS_KERNEL = "import os\nos._exit(0)"
USES_THE_IMPORTS = "print('IMPORTED', IMPORTED, runs)"
UNCONFINED = GraderConfig(sandbox="none", figures=False)     # the replay, not the sandbox, is under test


def test_a_replayed_cell_killed_once_from_outside_is_replayed_again():
    """The imports cell dies on its first replay only (as when the last kernel's leftovers trip a
    limit): the next kernel replays it, and the cells after it still have its names."""
    imports = COUNTED_IMPORTS.replace("DYING_RUNS", "(2,)")
    nb, records, session, _ = run_cells([imports, KILLS_ITS_KERNEL, USES_THE_IMPORTS], UNCONFINED)
    assert [record.status for record in records] == ["ok", "died", "ok"], records
    assert "IMPORTED True 3" in cell_text(nb.cells[2])
    assert session.starts == 3          # the first kernel, the one its replay killed, the one that took


def test_a_replayed_cell_that_always_dies_is_dropped_after_its_second_try():
    imports = COUNTED_IMPORTS.replace("DYING_RUNS", "range(2, 100)")
    nb, records, session, _ = run_cells([imports, KILLS_ITS_KERNEL, USES_THE_IMPORTS], UNCONFINED)
    assert [record.status for record in records] == ["ok", "died", "error"], records
    assert "IMPORTED" in cell_text(nb.cells[2]) and "NameError" in nb.cells[2].outputs[-1].get("ename", "")
    assert session.starts == 4          # first, two tries of the replay, then one without the cell
