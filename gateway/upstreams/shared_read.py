"""One upstream read shared by every reader: reused for a short time, one refresh in flight.

For upstreams without an event stream (Chronos): however many users list at once, the upstream
sees one read per ``ttl`` seconds. After a change the gateway made, ``invalidate`` makes the
next reader start a new read; it never joins one that started before the change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    def __init__(self, fetch: Callable[[], Awaitable[T]], *, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._generation = 0  # moved by invalidate(): reads started before are not reused
        self._value: tuple[int, float, T] | None = None  # generation, valid until, value
        self._inflight: tuple[int, asyncio.Future[T]] | None = None

    async def get(self) -> T:
        held = self._value
        if held is not None and held[0] == self._generation and self._clock() < held[1]:
            return held[2]
        inflight = self._inflight
        if inflight is None or inflight[0] != self._generation:
            inflight = (self._generation, asyncio.ensure_future(self._read(self._generation)))
            self._inflight = inflight
        # shield: one reader going away must not cancel the read the others wait for.
        return await asyncio.shield(inflight[1])

    def invalidate(self) -> None:
        self._generation += 1
        self._value = None

    async def _read(self, generation: int) -> T:
        started = self._clock()
        try:
            value = await self._fetch()
        finally:
            if self._inflight is not None and self._inflight[0] == generation:
                self._inflight = None
        if generation == self._generation:
            self._value = (generation, started + self._ttl, value)
        return value
