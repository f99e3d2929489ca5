"""Run an async context manager (a server stack) in a background event loop, for sync tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextmanager
def running(manager: AbstractAsyncContextManager[T]) -> Iterator[T]:
    background = BackgroundLoop()
    try:
        value = background.run(manager.__aenter__())
        try:
            yield value
        finally:
            background.run(manager.__aexit__(None, None, None))
    finally:
        background.close()
