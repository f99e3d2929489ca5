"""The cluster's capacity from the Mesos master, cached briefly: checks at submit, and the view.

Both services ask ``check_fits`` before anything is sent, so a request no agent could ever hold
is refused instead of waiting for ever. Agent sizes change rarely, so the check reads the Mesos
state at most every ``sizes_ttl`` seconds (a burst of submissions is not a burst of state reads);
the view, which shows what is free now, is cached for ``view_ttl`` seconds only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from gateway.config import Settings
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.models.capacity import Capacity, Waiting
from gateway.models.common import Hardware
from gateway.translation import capacity as pure
from gateway.translation.jobs import split_chronos_name
from gateway.upstreams.chronos import ChronosClient
from gateway.upstreams.marathon import MarathonClient
from gateway.upstreams.mesos import MesosClient

log = logging.getLogger(__name__)

SIZES_SECONDS = 30.0
VIEW_SECONDS = 2.0
_UNREACHABLE = (UpstreamError, UpstreamUnavailable)


class ClusterCapacity:
    def __init__(self, *, settings: Settings, mesos: MesosClient | None,
                 marathon: MarathonClient, chronos: ChronosClient | None,
                 sizes_ttl: float = SIZES_SECONDS, view_ttl: float = VIEW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._mesos = mesos
        self._marathon = marathon
        self._chronos = chronos
        self._sizes_ttl = sizes_ttl
        self._view_ttl = view_ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._agents: tuple[float, list[pure.AgentResources]] | None = None
        self._view: tuple[float, Capacity] | None = None

    async def agents(self, max_age: float) -> list[pure.AgentResources]:
        """Every active agent's resources, read at most ``max_age`` seconds ago (raises when the
        Mesos master cannot be read)."""
        if self._mesos is None:
            raise UpstreamUnavailable("Capacity needs the Mesos master, which is not configured.")
        async with self._lock:
            if self._agents is None or self._clock() - self._agents[0] >= max_age:
                self._agents = (self._clock(), pure.agents_from_state(await self._mesos.state()))
            return self._agents[1]

    async def check_fits(self, hardware: Hardware) -> None:
        """422 for a request no agent could ever hold. When the master cannot be read now, the
        request is let through: the scheduler's own waiting reason then tells."""
        try:
            agents = await self.agents(self._sizes_ttl)
        except _UNREACHABLE as exc:
            log.warning("cluster size unknown, request not checked against it: %s", exc.detail)
            return
        pure.check_fits_some_agent(hardware, agents)

    async def view(self) -> Capacity:
        if self._view is not None and self._clock() - self._view[0] < self._view_ttl:
            return self._view[1]
        agents = await self.agents(self._view_ttl)
        view = pure.capacity_view(agents, Waiting(deployments=await self._waiting_deployments(),
                                                  jobs=await self._waiting_jobs()))
        self._view = (self._clock(), view)
        return view

    async def _waiting_deployments(self) -> int | None:
        group = self._settings.marathon_group.rstrip("/") + "/"
        try:
            queue = await self._marathon.queue()
        except _UNREACHABLE:
            return None
        return sum(1 for app_id in queue if app_id.startswith(group))

    async def _waiting_jobs(self) -> int | None:
        if self._chronos is None:
            return None
        try:
            summary = await self._chronos.summary()
        except _UNREACHABLE:
            return None
        return sum(1 for name, entry in summary.items()
                   if entry.get("state") == "queued" and split_chronos_name(name) is not None)
