"""Helpers for the tests that grade notebooks at a chosen sandbox level with real kernels.

A level this machine cannot make fails the test with the reason; only the uid
level, which lawfully needs root and a path its kernels may pass, is skipped (visibly, by
tests/uid_access.py) where it has neither.
"""
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from grader.config import GraderConfig
from grader.kernel import sandbox
from grader.kernel.kernel_session import KernelSession
from grader.stages.execute import prepare_workdir
from tests.uid_access import require_uid_level

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "example_submission.ipynb"
def require_level(level):
    """Skip (uid without root, or out of its kernels' reach: tests/uid_access.py) or fail (anything else
    missing) unless ``level`` can be made here."""
    if level == "uid":
        require_uid_level()
        return
    ok, why = sandbox.level_check(level)
    if not ok:
        pytest.fail(f"the {level} level cannot be made on this machine: {why}", pytrace=False)


def config_for(level, **changes):
    return GraderConfig(**{"figures": False, "train_budget": 20.0, **changes, "sandbox": level})


def notebook_with(path, sources, after=None):
    """A notebook at ``path``: the example's cells with code cells ``sources`` inserted after
    its ``after``-th code cell (all at the end when None), or only ``sources`` when after == -1."""
    example = nbformat.read(EXAMPLE, as_version=4)
    added = [nbformat.v4.new_code_cell(source) for source in sources]
    if after == -1:
        example.cells = added
    elif after is None:
        example.cells += added
    else:
        code = [i for i, cell in enumerate(example.cells) if cell.cell_type == "code"]
        at = code[after] + 1
        example.cells[at:at] = added
    nbformat.write(example, path)
    return path


def cell_text(cell):
    """Everything a cell showed: streams, results and errors, as one string."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(str(out.get("text", "")))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts)


def source_cell(run, marker):
    """The executed notebook's cell whose source contains ``marker``."""
    cells = [c for c in run.executed_notebook.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"expected one cell marked {marker!r}, found {len(cells)}"
    return cells[0]


def record_of(run, marker):
    """The CellRecord of the cell whose source contains ``marker``."""
    index = next(i for i, c in enumerate(run.executed_notebook.cells) if marker in c.get("source", ""))
    return next(r for r in run.cells if r.index == index)


def work_root():
    """A directory of its own for the grader's temporary files (working and runtime
    directories), that every user may pass through, as /tmp; point ``tempfile.tempdir`` at it
    while grading (and only then: pytest makes its own tmp_path with tempfile too)."""
    path = Path(tempfile.mkdtemp(prefix="week6-test-levels-"))
    os.chmod(path, 0o711)
    return path


def run_cells(sources, config):
    """Run code cells ``sources`` one by one in a kernel session at ``config``'s level, in a working
    directory of the grader's; (notebook, cell records, session, launch prefix), all shut down."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    workdir = prepare_workdir()
    prefix = sandbox.launch_prefix(workdir, config)
    session = KernelSession(nb, workdir, config, prefix)
    try:
        session.start()
        records = [session.run_notebook_cell(index) for index in range(len(nb.cells))]
    finally:
        session.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    return nb, records, session, prefix
