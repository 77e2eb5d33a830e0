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
