"""Stage 3, execute: run the notebook's cells in a fresh working directory.

The directory holds copies of the data files (so the handout's loading lines
work) and the public self-check module; nothing else of the project. A cell
that raises or times out does not stop the others; a cell that kills or hangs
the kernel is reported and left out, and the kernel restarts with the cells
before it, so functions defined before and after it still count.
"""
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import student_template
from student_template.selfcheck_files import NOTEBOOK_FILES

from project import PROJECT_ROOT
from grader.kernel import sandbox
from grader.kernel.kernel_session import KernelSession
from grader.model import CellRecord

DATA_DIR = PROJECT_ROOT / "data"
SELFCHECK_DIR = Path(student_template.__file__).resolve().parent


def prepare_workdir():
    """A new directory with the .mat files and the self-check: all a notebook may read."""
    workdir = Path(tempfile.mkdtemp(prefix="week6-work-"))
    for mat in sorted(DATA_DIR.glob("*.mat")):
        shutil.copy(mat, workdir / mat.name)
    for name in NOTEBOOK_FILES:
        shutil.copy(SELFCHECK_DIR / name, workdir / name)
    return workdir


def launch(run):
    """Start the kernel's process in its working directory before the notebook is read (the pipeline
    calls this first: reading and checking the notebook, ~0.2 s, then happen while it starts; issue 25).

    Raises :class:`grader.kernel.sandbox.SandboxUnavailable` as the execute stage would. A kernel that
    does not start is left to the execute stage, which starts one again and reports its failure as
    before. A notebook that cannot be read ends the run, whose session is then shut down."""
    started = time.monotonic()
    run.workdir = prepare_workdir()
    prefix = sandbox.launch_prefix(run.workdir, run.config)     # SandboxUnavailable: no grade (pipeline)
    session = None
    try:
        session = KernelSession(nbformat.v4.new_notebook(), run.workdir, run.config, launch_prefix=prefix)
        session.launch()
    except Exception:         # the execute stage starts one again, and reports it when that fails too
        if session is not None:
            session.shutdown()
        elif hasattr(prefix, "release"):        # what the sandbox holds (a uid, a cgroup) is not kept twice
            prefix.release()
        return
    run.session = session
    run.timings["execute.launch"] = time.monotonic() - started


def execute(run):
    """Run every code cell; fill run.cells and keep the kernel (run.session) for the probes."""
    started = time.monotonic()
    if run.session is None:           # not launched before the notebook was read (see launch)
        run.workdir = run.workdir or prepare_workdir()
        prefix = sandbox.launch_prefix(run.workdir, run.config)
        run.session = KernelSession(run.notebook, run.workdir, run.config, launch_prefix=prefix)
        run.session.launch()
    run.session.use_notebook(run.notebook)
    run.sandbox_level = run.session.launch_prefix.level
    # Function-level imports for start-up speed: these modules (the assignment, the reference, scipy,
    # jinja2: ~0.7 s) load here, while the kernel's process starts beside this one (issue 25).
    from grader.pipeline import later_stages_loaded
    from grader.reports.written_work import plot_cell_indices, render_plots_off, render_plots_on
    from grader.stages.probe import start_plan
    later_stages_loaded()
    start_plan(run)       # the probe plan and the reference's outcomes get ready while the notebook runs
    run.session.connect()
    run.timings["execute.kernel_start"] = time.monotonic() - started      # what is left of it after the read stage
    cells_started = time.monotonic()
    seconds = run.config.notebook_timeout
    if run.budget is not None:
        seconds = min(seconds, run.budget.notebook_deadline - started)
        run.session.deadline = run.budget.probe_deadline     # a restart replays no cell past it
    deadline = started + seconds
    plot_cells = plot_cell_indices(run.notebook)     # the only cells whose figures are drawn (for the TAs)
    for index, cell in enumerate(run.notebook.cells):
        if cell.cell_type != "code":
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            run.cells.append(CellRecord(index, "not_run", "NotebookTimeout",
                                        f"the notebook used its {seconds:g} s budget before this cell"))
            continue
        if index in plot_cells:
            render_plots_on(run.session)
        run.cells.append(run.session.run_notebook_cell(index, min(run.config.cell_timeout, max(1.0, left))))
        if index in plot_cells:
            render_plots_off(run.session)
    if any(record.status == "not_run" for record in run.cells):
        run.message = f"The notebook ran longer than {seconds:g} s; the cells after that were not run."
    run.executed_notebook = run.notebook
    run.timings["execute.cells"] = time.monotonic() - cells_started
