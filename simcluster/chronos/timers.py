"""Timers in simulated time that a leader cancels all at once when it loses leadership
(Chronos' akka ``scheduleOnce`` retries live only in memory)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from simcluster.clock import SimClock


class SimTimers:
    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._handles: set[asyncio.TimerHandle] = set()

    def after(self, sim_seconds: float, action: Callable[[], None]) -> None:
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            if handle is not None:
                self._handles.discard(handle)
            action()

        handle = asyncio.get_running_loop().call_later(self._clock.real_seconds(sim_seconds), fire)
        self._handles.add(handle)

    def cancel_all(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
