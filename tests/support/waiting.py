"""Polling a condition until it holds, for tests of things that settle in the background.

One poller in two colours: ``eventually`` for async tests (the check may be sync or async) and
``eventually_sync`` for sync tests driving a server over HTTP. Both return the first value that
``done`` accepts (by default: the first truthy one) and fail with an AssertionError naming the check
and its last value, so a timeout reads like a failed assertion, not a hang.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


def _give_up(check: Callable[..., Any], timeout: float, last: Any) -> AssertionError:
    name = getattr(check, "__name__", repr(check))
    return AssertionError(f"{name} not reached within {timeout}s; last value: {last!r}")


async def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
                     done: Callable[[Any], bool] = bool) -> Any:
    """The first result of ``check`` (awaited when it is a coroutine) that ``done`` accepts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if done(result):
            return result
        if loop.time() > deadline:
            raise _give_up(check, timeout, result)
        await asyncio.sleep(interval)


def eventually_sync(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
                    done: Callable[[Any], bool] = bool) -> Any:
    """``eventually`` for sync tests: blocks between tries."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise _give_up(check, timeout, result)
        time.sleep(interval)
