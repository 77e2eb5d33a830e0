"""The grader's kernel manager (grader/kernel/kernel_client.py) looks at a killed kernel's process often:
jupyter_client's 0.1 s between two looks made every shutdown and restart wait 0.1 s (issue 25)."""
import asyncio

from grader.kernel.kernel_client import EXIT_POLL, LaunchedKernelManager


def test_a_killed_kernel_is_looked_at_every_few_milliseconds(monkeypatch):
    manager = LaunchedKernelManager()
    answers = iter([True, True, True, False])
    waits = []

    async def alive():
        return next(answers)

    real_sleep = asyncio.sleep

    async def sleep(seconds, *args, **kwargs):
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(manager, "_async_is_alive", alive)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    asyncio.run(manager._async_wait())
    assert waits == [EXIT_POLL] * 3 and EXIT_POLL <= 0.01
    waits.clear()
    answers = iter([True, False])
    asyncio.run(manager._async_wait(pollinterval=0.1))      # what jupyter_client's graceful shutdown passes
    assert waits == [EXIT_POLL]


class _Channel:
    """A ZeroMQ channel's stand-in: the messages it holds, then Empty; the timeouts it was asked with."""

    def __init__(self, messages):
        self.messages, self.timeouts = list(messages), []

    async def get_msg(self, timeout=None):
        from queue import Empty
        self.timeouts.append(timeout)
        if not self.messages:
            raise Empty
        return self.messages.pop(0)


def test_the_client_is_ready_once_the_kernel_answered_without_waiting_for_more_output(monkeypatch):
    """jupyter_client's wait_for_ready read IOPub until it stayed silent for 0.2 s: every kernel start
    waited 0.2 s more. The grader's client takes what IOPub holds and goes on."""
    from grader.kernel.kernel_client import ReadyClient
    client = LaunchedKernelManager().client()
    assert isinstance(client, ReadyClient)
    shell = _Channel([{"msg_type": "kernel_info_reply", "content": {}}])
    iopub = _Channel([{"msg_type": "status"}, {"msg_type": "status"}])
    handled = []
    monkeypatch.setattr(ReadyClient, "shell_channel", shell)
    monkeypatch.setattr(ReadyClient, "iopub_channel", iopub)
    monkeypatch.setattr(client, "kernel_info", lambda: None)
    monkeypatch.setattr(client, "_handle_kernel_info_reply", handled.append)
    asyncio.run(client.wait_for_ready(timeout=5))
    assert handled and iopub.timeouts == [0.2, 0, 0]
