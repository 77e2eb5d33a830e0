"""A submission's kernel: run cells one by one, survive hangs and deaths.

The kernel is the submission's own process. It talks to the grader over
ZeroMQ on Unix sockets (``transport="ipc"``), so it works without any network,
inside the sandbox's private network namespace too. The command that starts
it is ``launch_prefix + [python, -m, ipykernel_launcher, -f, conn]``, where
the prefix (bubblewrap and limits) comes from :mod:`grader.kernel.sandbox`; the
token :data:`grader.kernel.confined_view.RUNTIME_DIR` in it stands for the directory of
the sockets and connection file, a fresh one for each kernel started.
"""
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync

from grader.kernel.confined_view import KERNEL_LOG
from grader.kernel.kernel_client import MAX_MESSAGE_BYTES, TIMEOUT_ENAME, CappedClient, LaunchedKernelManager
from grader.kernel.kernel_files import read_tail, remove_tree
from grader.model import CellRecord

STOPPED_ENAME = "KernelStopped"     # the grader stopped the kernel for a limit (the disk bound) the cell broke
IOPUB_TIMEOUT = 2          # seconds to wait for a cell's last outputs after its reply (nbclient's default: 4)
RESPONSIVE_TIMEOUT = 5     # seconds an interrupted kernel has to answer "pass" before it counts as hung
REPLAY_TIMEOUT_AFTER_TIMEOUT = 10   # a cell that timed out is replayed (after a restart) for at most this long
MAX_REPLAY_ROUNDS = 10             # kernels started in one restart before giving up on replaying
# what a cell did to the kernel, when the kernel must be started again without it
ENDED_KERNEL = ("died", "hung", "exited")
EXIT_EVALUE = "the cell ended the kernel (exit() or quit()); the grader went on without it"


def _tail(path, size=2000):
    """The end of the kernel's log (the kernel writes it: read without following or blocking)."""
    return read_tail(path, size).decode("utf-8", "replace").strip()


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
        self.launch_prefix = launch_prefix if isinstance(launch_prefix, list) else list(launch_prefix)
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="week6-kernel-"))
        self.client = None
        self.replay = []          # indices of cells to re-run after a restart
        self.replay_timeouts = {} # index -> shorter timeout for replaying a cell that timed out
        self.restarts = 0
        self.starts = 0
        self.output_state = None  # the output caps' counts, carried from one kernel to the next
        self.deadline = None      # time.monotonic() after which a restart replays no more cells
        self._sockets = None      # the directory of the last kernel's sockets and connection file
        self.closed = False       # shut down for good (shutdown or abandon)

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        """Start a kernel; each one gets a fresh directory for its sockets and connection file."""
        self.launch()
        self.connect()

    def launch(self):
        """Start the kernel's process and return without waiting for it to answer (:meth:`connect`
        waits): the grader can do its own work while the kernel starts."""
        self.starts += 1
        self.closed = False
        self.runtime_dir.mkdir(exist_ok=True)
        sockets = self.runtime_dir / f"k{self.starts}"
        sockets.mkdir()
        self._sockets = sockets
        prepare = getattr(self.launch_prefix, "prepare", None)
        if prepare is not None:
            prepare()
        km = LaunchedKernelManager(transport="ipc", ip=str(sockets / "k"),
                                   connection_file=str(sockets / "connection.json"))
        km.launch_prefix = list(self.launch_prefix)
        km.interrupt_mode = getattr(self.launch_prefix, "interrupt_mode", "signal")
        previous_output = self.output_state
        self.client = CappedClient(
            self.nb, self.config.max_cell_output_bytes, self.config.max_notebook_output_bytes,
            km=km, timeout=int(self.config.cell_timeout), interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME,
                              "evalue": f"the cell ran longer than {self.config.cell_timeout:g} s and was interrupted",
                              "traceback": []},
            allow_errors=True, record_timing=False, startup_timeout=60, shutdown_kernel="immediate",
            iopub_timeout=IOPUB_TIMEOUT,
            ipython_hist_file=":memory:", resources={"metadata": {"path": str(self.workdir)}},
        )
        self.client.set_output_state(previous_output)
        try:
            env = getattr(self.launch_prefix, "env", None)      # the sandbox's own: nothing of the grader's
            self.client.start_new_kernel(cwd=str(self.workdir), **({} if env is None else {"env": dict(env)}))
        except Exception as error:
            self._failed_start(error)

    def use_notebook(self, nb):
        """Run the cells of ``nb`` from now on: a kernel may be launched before the notebook is read."""
        self.nb = nb
        if self.client is not None:
            self.client.nb = nb

    def connect(self):
        """Wait until the kernel :meth:`launch` started answers; then the sandbox watches it."""
        try:
            self.client.start_new_kernel_client()
        except Exception as error:
            self._failed_start(error)
        started = getattr(self.launch_prefix, "started", None)
        if started is not None:             # the sandbox watches the kernel from here on (its disk use)
            started(self.client.km.provisioner.pid, self._sockets)

    def _failed_start(self, error):
        log = _tail(self._sockets / KERNEL_LOG)
        self._stop()
        raise RuntimeError(f"the notebook's kernel did not start ({type(error).__name__}: {error})"
                           + (f"; it said: {log}" if log else "")) from error

    def _stop(self):
        """Stop the kernel and everything it started (the sandbox's other processes too)."""
        if self.client is not None and self.client.km is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:   # a kernel that is already gone needs no cleanup
                pass
        if self.client is not None:
            self.output_state = self.client.output_state()
        self.client = None
        kill_all = getattr(self.launch_prefix, "kill_all", None)
        if kill_all is not None:
            kill_all()

    def shutdown(self):
        """Stop the kernel for good: its processes, cgroup and socket directory go. Once: a second
        call (the pipeline's last word) finds nothing left to do."""
        if self.closed:
            return
        self.closed = True
        self._stop()
        release = getattr(self.launch_prefix, "release", None)
        if release is not None:
            release()
        remove_tree(self.runtime_dir)        # the kernel's sockets directory: whatever it made there, at any depth

    def abandon(self):
        """Stop for good without a word to the kernel (the grading's time is up and its client may
        be stuck mid-call): the sandbox's processes are killed, its cgroup and directories go."""
        self.closed = True
        stop_now = getattr(self.launch_prefix, "stop_now", None)
        if stop_now is not None:
            stop_now()
        self.client = None
        release = getattr(self.launch_prefix, "release", None)
        if release is not None:
            release()
        remove_tree(self.runtime_dir)

    def restart(self, skip=()):
        """Fresh kernel; silently re-run the replay list minus ``skip``. A replayed cell that
        hangs or exits the new kernel leaves the list, and the replay starts over without it.
        One that kills it is given a second fresh kernel first: it ran fine before, and a death
        from outside (the last kernel's leftovers, a limit's late kill) must not cost the
        notebook a cell its later cells need (its imports)."""
        self._stop()
        self.restarts += 1
        skip = set(skip)
        self.replay = [i for i in self.replay if i not in skip]
        counted = self.output_state           # replayed outputs are thrown away: they use none of the caps
        died_once = set()
        for _ in range(MAX_REPLAY_ROUNDS):
            self.start()
            for index in list(self.replay):
                timeout = self.replay_timeouts.get(index, self.config.cell_timeout)
                if self.deadline is not None:
                    timeout = min(timeout, self.deadline - time.monotonic())
                    if timeout < 1:           # the grading's time is up: the later cells are not replayed
                        break
                original = self.nb.cells[index]
                cell = nbformat.from_dict(dict(original))
                outcome = self._checked(self._execute(cell, index, timeout), cell)
                self.nb.cells[index] = original   # nbclient stores the copy it ran: keep the first run's outputs
                if outcome.status in ENDED_KERNEL:
                    # a cell stopped for a limit it broke is left out at once: its cause is known
                    if outcome.status == "died" and outcome.ename != STOPPED_ENAME and index not in died_once:
                        died_once.add(index)
                    else:
                        self.replay.remove(index)
                    self._stop()
                    self.output_state = counted
                    break
            else:
                self.client.set_output_state(counted)
                return
        self.replay = []
        self.start()

    # -- running -----------------------------------------------------------
    def run_notebook_cell(self, index, timeout=None):
        """Run notebook cell ``index`` (outputs land in self.nb) for at most ``timeout`` seconds
        (default: the cell timeout); returns a CellRecord."""
        cell = self.nb.cells[index]
        outcome = self._checked(self._execute(cell, index, self.config.cell_timeout if timeout is None else timeout),
                                cell)
        if outcome.status in ENDED_KERNEL:
            self.restart(skip=[index])
        elif outcome.status in ("ok", "error", "timeout"):
            self.replay.append(index)
            if outcome.status == "timeout":
                self.replay_timeouts[index] = min(self.config.cell_timeout, REPLAY_TIMEOUT_AFTER_TIMEOUT)
        return outcome

    def run_source(self, source, timeout, restart=True):
        """Run grader code (a probe) in the kernel. Returns a CellRecord with index -1;
        after a death or hang the kernel is restarted with the notebook replayed, unless
        ``restart`` is False: then the caller restarts it (:meth:`restart`) once it has read
        what the code wrote (a restart may clean the working directory)."""
        cell = nbformat.v4.new_code_cell(source)
        outcome = self._execute(cell, -1, timeout)
        if outcome.status in ENDED_KERNEL and restart:
            self.restart()
        return outcome, cell

    def _checked(self, outcome, cell):
        """``outcome`` of a notebook cell, or "died" when what it wrote broke the disk bound (the
        sandbox is stopped now: the cell that wrote it is the one left out, on every run)."""
        if outcome.status not in ("ok", "error", "timeout"):
            return outcome
        reason = getattr(self.launch_prefix, "check_disk", lambda: None)()
        if reason is None:
            return outcome
        cell.setdefault("outputs", []).append(
            nbformat.v4.new_output("error", ename=STOPPED_ENAME, evalue=reason, traceback=[]))
        return CellRecord(outcome.index, "died", STOPPED_ENAME, reason, outcome.seconds)

    def alive(self):
        """Is the kernel still running? (A cell's thread, a signal or the memory limit may have ended it
        between two requests.)"""
        if self.client is None or self.client.km is None:
            return False
        try:
            return bool(run_sync(self.client.km.is_alive)())
        except Exception:   # a manager that cannot even tell has no usable kernel
            return False

    def ensure_alive(self):
        """Restart the kernel (the notebook replayed) when it is gone; True when it had to."""
        if self.alive():
            return False
        self.restart()
        return True

    def _execute(self, cell, index, timeout):
        started = time.monotonic()
        self.client.timeout = int(max(1, timeout))
        self.client.last_reply = None
        try:
            self._execute_in_place(cell, index)
        except DeadKernelError:
            reason = getattr(self.launch_prefix, "death_reason", lambda: None)()     # e.g. the disk limit
            ename = STOPPED_ENAME if reason else "KernelDied"
            evalue = reason or "the kernel died while running this cell (os._exit, a crash, or the memory limit)"
            cell.setdefault("outputs", []).append(
                nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[]))
            return CellRecord(index, "died", ename, evalue, time.monotonic() - started)
        seconds = time.monotonic() - started
        if self.client.output_channel_lost():
            cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                "stream", name="stderr", text=f"\n[week6 grader: an output of this cell over {MAX_MESSAGE_BYTES:,} "
                                              "bytes was dropped, and what followed it]\n"))
            self._reconnect()
        reply = (self.client.last_reply or {}).get("content", {})
        if reply.get("status") == "error" and reply.get("ename") == TIMEOUT_ENAME:
            # nbclient only interrupts and makes up this reply; the cell's outputs show nothing of it
            evalue = f"the cell ran longer than {timeout:g} s and was interrupted"
            cell.setdefault("outputs", []).append(
                nbformat.v4.new_output("error", ename=TIMEOUT_ENAME, evalue=evalue, traceback=[]))
            return CellRecord(index, "timeout" if self._responsive() else "hung", TIMEOUT_ENAME, evalue, seconds)
        if any(isinstance(item, dict) and item.get("source") == "ask_exit" and not item.get("keepkernel")
               for item in reply.get("payload", None) or []):
            # exit() or quit(): ipykernel stops a moment after this reply, so nothing after this cell would run
            return CellRecord(index, "exited", "KernelExit", EXIT_EVALUE, seconds)
        error = next((out for out in cell.get("outputs", []) if out.get("output_type") == "error"), None)
        if error is None:
            return CellRecord(index, "ok", seconds=seconds)
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

    def _reconnect(self):
        """New ZeroMQ channels to the same kernel."""
        try:
            self.client.kc.stop_channels()
        except Exception:   # channels of a broken connection may fail to stop cleanly
            pass
        self.client.start_new_kernel_client()

    def _responsive(self):
        """After an interrupt: does the kernel answer a trivial request within a few seconds?"""
        probe = nbformat.v4.new_code_cell("pass")
        self.client.timeout = RESPONSIVE_TIMEOUT
        self.client.last_reply = None
        try:
            self._execute_in_place(probe, -1)
        except DeadKernelError:
            return False
        reply = (self.client.last_reply or {}).get("content", {})
        return reply.get("status") == "ok"
