"""Simulated time: wall-clock anchored, optionally accelerated.

Schedules (Chronos) and durations (batch tasks, health-check intervals) are expressed in
simulated seconds; a ``time_scale`` of 60 makes one real second count as one simulated minute.
Timestamps stay anchored to the real start time so they look plausible to clients.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class SimClock:
    """A clock whose simulated time runs ``time_scale`` times faster than real time."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._epoch_at_start = time.time()
        self._mono_at_start = time.monotonic()

    def now(self) -> float:
        """Simulated POSIX time in seconds."""
        elapsed = time.monotonic() - self._mono_at_start
        return self._epoch_at_start + elapsed * self.time_scale

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def iso_now(self) -> str:
        """Simulated now as Marathon/Chronos write it: ISO 8601, milliseconds, ``Z``."""
        return iso_format(self.now())

    def real_seconds(self, sim_seconds: float) -> float:
        return max(0.0, sim_seconds / self.time_scale)

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(self.real_seconds(sim_seconds))


def iso_format(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
