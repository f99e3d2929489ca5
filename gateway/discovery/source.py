"""The leader-source contract the clients read, and its static implementation."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Scheduler = Literal["mesos", "marathon", "chronos"]
SCHEDULERS: tuple[Scheduler, ...] = ("mesos", "marathon", "chronos")


@dataclass(frozen=True)
class Leader:
    url: str
    known_since: float = field(default_factory=time.monotonic)


class LeaderSource(Protocol):
    """Read by async code on every upstream call; must never block."""

    # Leaders seen taking office (the first one found included), by scheduler, for /metrics.
    leader_changes: Counter[Scheduler]

    def leader(self, scheduler: Scheduler) -> Leader | None: ...

    async def wait_for_change(self, scheduler: Scheduler, previous: Leader | None,
                              timeout: float) -> Leader | None:
        """Wait up to ``timeout`` seconds for a leader other than ``previous``."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> dict[str, Any]:
        """For /readyz: connection state and each leader with how long it has been known."""
        ...


class StaticLeaderSource:
    """Fixed URLs from configuration, for clusters without ZooKeeper (and for tests)."""

    def __init__(self, urls: dict[Scheduler, str]) -> None:
        self._leaders = {name: Leader(url.rstrip("/")) for name, url in urls.items() if url}
        self.leader_changes: Counter[Scheduler] = Counter()

    def leader(self, scheduler: Scheduler) -> Leader | None:
        return self._leaders.get(scheduler)

    async def wait_for_change(self, scheduler: Scheduler, previous: Leader | None,
                              timeout: float) -> Leader | None:
        # A static leader never changes; the caller retries the same URL once.
        return self._leaders.get(scheduler)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "source": "static",
            "leaders": {name: {"url": leader.url, "known_for_seconds": round(now - leader.known_since, 1)}
                        for name, leader in self._leaders.items()},
        }
