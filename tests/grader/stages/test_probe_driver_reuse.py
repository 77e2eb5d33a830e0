"""The probe driver is compiled once per kernel and kept there (issue 25: ~6 ms a group), and a
restarted kernel, which has lost it, compiles it again and answers every probe as before."""
import shutil

import nbformat

from grader.kernel import sandbox
from grader.kernel.kernel_session import KernelSession
from grader.model import GradingRun
from grader.stages.execute import prepare_workdir
from grader.stages.probe import DRIVER_MODULE, probe
from tests.robustness.level_fixtures import EXAMPLE, cell_text, config_for, require_level

# a cell of the notebook: counts the compiles of the driver's source in this kernel
COUNT_DRIVER_COMPILES = f'''
import builtins
_driver_compiles = []
_plain_compile = builtins.compile
def _counting_compile(source, filename, *args, **kwargs):
    if filename == {DRIVER_MODULE!r}:
        _driver_compiles.append(filename)
    return _plain_compile(source, filename, *args, **kwargs)
builtins.compile = _counting_compile
'''


def _compiles(session):
    _, cell = session.run_source("print(len(_driver_compiles))", 30)
    return int(cell_text(cell).strip())


def _statuses(run):
    return {probe_id: outcome.status for probe_id, outcome in run.probe_outcomes.items()}


def test_the_driver_is_compiled_once_a_kernel_and_again_after_a_restart(tmp_path):
    require_level("none")
    config = config_for("none")
    nb = nbformat.read(EXAMPLE, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(COUNT_DRIVER_COMPILES))
    workdir = prepare_workdir()
    session = KernelSession(nb, workdir, config, sandbox.launch_prefix(workdir, config))
    try:
        session.start()
        for index in range(len(nb.cells)):
            session.run_notebook_cell(index)
        run = GradingRun(notebook_path=EXAMPLE, out_dir=tmp_path, config=config, session=session, workdir=workdir)
        run.seed = 1
        probe(run)
        first = _statuses(run)
        groups = run.probe_plan.groups()
        assert len(groups) > 1
        assert set(first.values()) == {"ok"}, first
        assert _compiles(session) == 1, f"{len(groups)} groups of probes"

        session.restart()           # the notebook replayed: a new count, and no driver yet
        run.probe_outcomes.clear()
        probe(run)
        assert _statuses(run) == first
        assert _compiles(session) == 1
    finally:
        session.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
