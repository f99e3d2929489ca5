"""Whether each configured scheduler was actually reached, for ``/readyz``.

Knowing a leader's URL (a static setting, or ZooKeeper) is not enough: nothing may listen there.
Whenever ``/readyz`` asks, each scheduler's leader not reached yet is asked its health endpoint;
once it answered it counts as reached (sticky), so a scheduler's later blip does not take every
replica out of the load balancer at once, which would turn it into a gateway outage. A new
leader URL (failover) counts as reached once the scheduler was reached at all: discovery already
vouches for it. Nothing is asked in the background: a gateway nobody asks calls no scheduler.
"""

from __future__ import annotations

import asyncio

import httpx

from gateway.config import Settings
from gateway.discovery import LeaderSource
from gateway.discovery.source import SCHEDULERS, Scheduler

# Cheap endpoints every version answers (Marathon and Chronos /ping, the Mesos master /health).
HEALTH_PATHS: dict[Scheduler, str] = {"marathon": "/ping", "chronos": "/ping", "mesos": "/health"}
PROBE_TIMEOUT = 2.0


def schedulers_in_use(settings: Settings) -> list[Scheduler]:
    """The configured schedulers (with static URLs, one left empty is not used)."""
    return [name for name in SCHEDULERS if settings.zk_hosts or getattr(settings, f"{name}_url")]


class Reachability:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, leaders: LeaderSource, *,
                 timeout: float = PROBE_TIMEOUT) -> None:
        self._settings = settings
        self._http = http
        self._leaders = leaders
        self._timeout = timeout
        self._reached: set[Scheduler] = set()

    async def unreached(self, schedulers: list[Scheduler]) -> dict[Scheduler, str]:
        """The schedulers (of those whose leader is known) never reached, and why."""
        pending = [s for s in schedulers
                   if s not in self._reached and self._leaders.leader(s) is not None]
        problems = await asyncio.gather(*(self._probe(s) for s in pending))
        unreached = {}
        for scheduler, problem in zip(pending, problems, strict=True):
            if problem is None:
                self._reached.add(scheduler)
            else:
                unreached[scheduler] = problem
        return unreached

    async def _probe(self, scheduler: Scheduler) -> str | None:
        leader = self._leaders.leader(scheduler)
        if leader is None:
            return "no leader is known"
        url = leader.url.rstrip("/") + HEALTH_PATHS[scheduler]
        try:
            response = await self._http.get(url, auth=self._settings.basic_credentials(scheduler),
                                            timeout=self._timeout)
        except httpx.TransportError as exc:
            return f"nothing answers at {leader.url} ({type(exc).__name__})"
        if response.status_code in (401, 403):
            return f"{leader.url} refused the gateway's credentials"
        if not 200 <= response.status_code < 300:
            return f"{leader.url} answered HTTP {response.status_code}"
        return None

