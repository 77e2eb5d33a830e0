"""The grader's side of a kernel's connection: the manager that starts it with the sandbox's command
line, and the client that runs cells on it with caps on what it keeps of their outputs."""
import copy
import json
import sys
import time
from pathlib import Path
from queue import Empty

import nbformat
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from traitlets import default

from grader.kernel.confined_view import RUNTIME_DIR

TIMEOUT_ENAME = "CellTimeout"
MAX_DISPLAY_UPDATE_BYTES = 1_000_000
MAX_MESSAGE_BYTES = 64 * 2**20       # a larger message from the kernel is dropped by ZeroMQ, never read
EXIT_POLL = 0.005          # seconds between two looks at a killed kernel's process (jupyter_client's: 0.1)


class ReadyClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, ready as soon as the kernel has answered.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until nothing more comes for 0.2 s:
    every kernel start (each grading's, each restart's) waited those 0.2 s for nothing (issue 25).
    Here it takes what has already come and goes on: the grader reads only the messages of its own
    requests (nbclient matches each message's parent), so a late message of the kernel_info request
    is passed over like any other. The rest is jupyter_client's: kernel_info until it is answered,
    IOPub seen to work, a dead kernel or the timeout an error."""

    async def _async_wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:            # IOPub connected? Otherwise ask again (as jupyter_client does)
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:             # what IOPub holds already, without waiting for more
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=0))
            except Empty:
                break

    wait_for_ready = _async_wait_for_ready      # AsyncKernelClient binds its own to jupyter_client's


class LaunchedKernelManager(AsyncKernelManager):
    """A kernel manager whose command line the grader writes itself (no kernelspec lookup)."""
    launch_prefix: list = []
    interrupt_mode: str = "signal"

    @property
    def kernel_spec(self):
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(argv=[], display_name="Python 3 (week6 grader)", language="python",
                                           interrupt_mode=self.interrupt_mode)
        return self._kernel_spec

    @default("client_factory")
    def _ready_client(self):
        return ReadyClient

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Wait until the kernel's process has ended, looking every :data:`EXIT_POLL` seconds at most:
        jupyter_client looks every 0.1 s, so each kill (every grading's shutdown, every restart)
        waited 0.1 s for a process gone within milliseconds (issue 25)."""
        await super()._async_wait(pollinterval=min(pollinterval, EXIT_POLL))

    def client(self, **kwargs):
        """The grader's client: ZeroMQ drops any message over MAX_MESSAGE_BYTES instead of reading it."""
        kc = super().client(**kwargs)
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        return kc

    def format_kernel_cmd(self, extra_arguments=None):
        runtime_dir = str(Path(self.connection_file).parent)
        prefix = [arg.replace(RUNTIME_DIR, runtime_dir) for arg in self.launch_prefix]
        return [*prefix, sys.executable, "-m", "ipykernel_launcher",
                "-f", self.connection_file, *(extra_arguments or [])]


class CappedClient(NotebookClient):
    """nbclient's client, keeping at most ``max_cell_bytes`` of output per cell and
    ``max_total_bytes`` per notebook (sizes as JSON). Past the cap, text is cut and other
    outputs are dropped, with one note in the cell saying so; what is dropped is counted."""

    def __init__(self, nb, max_cell_bytes, max_total_bytes, **kwargs):
        super().__init__(nb, **kwargs)
        self.max_cell_bytes = max_cell_bytes
        self.max_total_bytes = max_total_bytes
        self.total_bytes = 0
        self.cell_bytes = {}
        self.dropped_bytes = {}
        self.noted = set()                # cells that already carry the "output dropped" note
        self.last_reply = None            # the execute_reply of the last cell (a timeout is only seen here)
        self.idle_seen = None             # msg_id of the last request whose "idle" status arrived
        self.on_cell_executed = self._remember_reply

    def _remember_reply(self, cell, cell_index, execute_reply):
        self.last_reply = execute_reply

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") == "status" and msg.get("content", {}).get("execution_state") == "idle":
            self.idle_seen = msg.get("parent_header", {}).get("msg_id")
        return super().process_message(msg, cell, cell_index)

    def output_channel_lost(self):
        """True when the last cell got its reply but never its "idle" on IOPub: a message over
        MAX_MESSAGE_BYTES made ZeroMQ drop the connection, which it does not remake by itself."""
        reply = self.last_reply or {}
        msg_id = reply.get("parent_header", {}).get("msg_id")
        return bool(msg_id) and reply.get("content", {}).get("ename") != TIMEOUT_ENAME and self.idle_seen != msg_id

    OUTPUT_STATE = ("total_bytes", "cell_bytes", "dropped_bytes", "noted")

    def output_state(self):
        """What the caps have counted so far (copied): a restarted kernel's client goes on from there."""
        return {name: copy.copy(getattr(self, name)) for name in self.OUTPUT_STATE}

    def set_output_state(self, state):
        for name, value in (state or {}).items():
            setattr(self, name, copy.copy(value))

    def _room(self, cell_index):
        return min(self.max_cell_bytes - self.cell_bytes.get(cell_index, 0), self.max_total_bytes - self.total_bytes)

    def _take(self, cell_index, size):
        self.cell_bytes[cell_index] = self.cell_bytes.get(cell_index, 0) + size
        self.total_bytes += size

    def _drop(self, outs, cell_index, size):
        self.dropped_bytes[cell_index] = self.dropped_bytes.get(cell_index, 0) + size
        if cell_index not in self.noted:
            self.noted.add(cell_index)
            outs.append(nbformat.v4.new_output(
                "stream", name="stderr",
                text=f"\n[week6 grader: output past {self.max_cell_bytes:,} bytes per cell / "
                     f"{self.max_total_bytes:,} per notebook was not kept]\n"))

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        room = self._room(cell_index)
        if size <= room:
            self._take(cell_index, size)
            return super().output(outs, msg, display_id, cell_index)
        cut = _shortened(msg, room - 200)
        if cut is not None:
            kept = len(json.dumps(cut["content"], default=str))
            self._take(cell_index, kept)
            super().output(outs, cut, display_id, cell_index)
            self._drop(outs, cell_index, size - kept)
            return None
        self._drop(outs, cell_index, size)
        return None

    def _update_display_id(self, display_id, msg):
        """An update replaces an earlier display in place: keep it only if it is small."""
        if len(json.dumps(msg.get("content", {}), default=str)) > min(self.max_cell_bytes, MAX_DISPLAY_UPDATE_BYTES):
            return None
        return super()._update_display_id(display_id, msg)


def _shortened(msg, room):
    """A copy of a stream or error message cut to about ``room`` bytes of JSON, or None."""
    if room < 100 or msg.get("msg_type") not in ("stream", "error"):
        return None
    content = dict(msg["content"])
    if msg["msg_type"] == "stream":
        text = str(content.get("text", ""))[:room]
        while text and len(json.dumps(text)) > room:       # escapes take up to 6 bytes a character
            text = text[:len(text) - (len(json.dumps(text)) - room)]
        content["text"] = text
    else:
        content["evalue"] = str(content.get("evalue", ""))[:min(room // 2, 2000)]
        lines, budget = [], room // 2
        for line in reversed([str(x) for x in content.get("traceback", [])][-20:]):
            line = line[:2000]
            budget -= len(json.dumps(line))
            if budget < 0:
                break
            lines.insert(0, line)
        content["traceback"] = lines
    return {**msg, "content": content}
