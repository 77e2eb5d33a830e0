"""A submission's kernel: run cells one by one, survive hangs and deaths.

The kernel is the submission's own process. It talks to the grader over
ZeroMQ on Unix sockets (``transport="ipc"``), so it works without any network,
inside the sandbox's private network namespace too. The command that starts
it is ``launch_prefix + [python, -m, ipykernel_launcher, -f, conn]``, where
the prefix (bubblewrap and limits) comes from :mod:`grader.sandbox`.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .model import CellRecord

TIMEOUT_ENAME = "CellTimeout"


class LaunchedKernelManager(AsyncKernelManager):
    """A kernel manager whose command line the grader writes itself (no kernelspec lookup)."""
    launch_prefix: list = []

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self.launch_prefix, sys.executable, "-m", "ipykernel_launcher",
                "-f", self.connection_file, *(extra_arguments or [])]


class CappedClient(NotebookClient):
    """nbclient's client, keeping at most ``max_cell_bytes`` of output per cell and
    ``max_total_bytes`` per notebook; what is dropped is counted, not stored."""

    def __init__(self, nb, max_cell_bytes, max_total_bytes, **kwargs):
        super().__init__(nb, **kwargs)
        self.max_cell_bytes = max_cell_bytes
        self.max_total_bytes = max_total_bytes
        self.total_bytes = 0
        self.cell_bytes = {}
        self.dropped_bytes = {}

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self.cell_bytes.get(cell_index, 0)
        if used + size > self.max_cell_bytes or self.total_bytes + size > self.max_total_bytes:
            self.dropped_bytes[cell_index] = self.dropped_bytes.get(cell_index, 0) + size
            return None
        self.cell_bytes[cell_index] = used + size
        self.total_bytes += size
        return super().output(outs, msg, display_id, cell_index)


class KernelSession:
    """Runs code cells of ``nb`` in a kernel started in ``workdir``.

    A cell that times out is interrupted; if the kernel does not answer after
    that, or dies, the kernel is restarted and the cells that ran before are
    replayed (skipping the ones that killed it), so later cells still run.
    """

    def __init__(self, nb, workdir, config, launch_prefix=()):
        self.nb = nb
        self.workdir = Path(workdir)
        self.config = config
        self.launch_prefix = list(launch_prefix)
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="week6-kernel-"))
        self.client = None
        self.replay = []          # indices of cells to re-run after a restart
        self.restarts = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        km = LaunchedKernelManager(transport="ipc", ip=str(self.runtime_dir / "k"),
                                   connection_file=str(self.runtime_dir / "connection.json"))
        km.launch_prefix = self.launch_prefix
        self.client = CappedClient(
            self.nb, self.config.max_cell_output_bytes, self.config.max_notebook_output_bytes,
            km=km, timeout=int(self.config.cell_timeout), interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME,
                              "evalue": f"the cell ran longer than {self.config.cell_timeout:g} s and was interrupted",
                              "traceback": []},
            allow_errors=True, record_timing=False, startup_timeout=60,
            ipython_hist_file=":memory:", resources={"metadata": {"path": str(self.workdir)}},
        )
        self.client.start_new_kernel(cwd=str(self.workdir))
        self.client.start_new_kernel_client()

    def shutdown(self):
        if self.client is not None and self.client.km is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:   # a kernel that is already gone needs no cleanup
                pass
        self.client = None

    def restart(self, skip=()):
        """Fresh kernel; silently re-run the replay list minus ``skip``."""
        self.shutdown()
        self.restarts += 1
        self.start()
        self.replay = [i for i in self.replay if i not in set(skip)]
        for index in list(self.replay):
            cell = nbformat.from_dict(dict(self.nb.cells[index]))
            outcome = self._execute(cell, index, self.config.cell_timeout)
            if outcome.status in ("died", "hung"):
                self.replay.remove(index)
                self.shutdown()
                self.start()

    # -- running -----------------------------------------------------------
    def run_notebook_cell(self, index):
        """Run notebook cell ``index`` (outputs land in self.nb); returns a CellRecord."""
        cell = self.nb.cells[index]
        outcome = self._execute(cell, index, self.config.cell_timeout)
        if outcome.status in ("died", "hung"):
            self.restart(skip=[index])
        elif outcome.status in ("ok", "error", "timeout"):
            self.replay.append(index)
        return outcome

    def run_source(self, source, timeout):
        """Run grader code (a probe) in the kernel. Returns a CellRecord with index -1;
        after a death or hang the kernel is restarted with the notebook replayed."""
        cell = nbformat.v4.new_code_cell(source)
        outcome = self._execute(cell, -1, timeout)
        if outcome.status in ("died", "hung"):
            self.restart()
        return outcome, cell

    def _execute(self, cell, index, timeout):
        started = time.monotonic()
        self.client.timeout = int(max(1, timeout))
        try:
            self._execute_in_place(cell, index)
        except DeadKernelError:
            return CellRecord(index, "died", "KernelDied",
                              "the kernel died while running this cell (os._exit, a crash, or the memory limit)",
                              time.monotonic() - started)
        seconds = time.monotonic() - started
        error = next((out for out in cell.get("outputs", []) if out.get("output_type") == "error"), None)
        if error is None:
            return CellRecord(index, "ok", seconds=seconds)
        if error.get("ename") == TIMEOUT_ENAME:
            return CellRecord(index, "hung" if not self._responsive() else "timeout",
                              TIMEOUT_ENAME, error.get("evalue", ""), seconds)
        return CellRecord(index, "error", str(error.get("ename", ""))[:200], str(error.get("evalue", ""))[:500], seconds)

    def _execute_in_place(self, cell, index):
        """nbclient stores the cell at its index; grader cells borrow a slot past the end."""
        if index >= 0:
            self.client.execute_cell(cell, index, store_history=False)
            return
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1, store_history=False)
        finally:
            self.nb.cells.pop()

    def _responsive(self):
        """After an interrupt: does the kernel answer a trivial request within a few seconds?"""
        probe = nbformat.v4.new_code_cell("pass")
        self.client.timeout = 10
        try:
            self._execute_in_place(probe, -1)
        except DeadKernelError:
            return False
        return not any(out.get("output_type") == "error" for out in probe.get("outputs", []))
