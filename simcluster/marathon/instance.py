"""One Marathon process: HTTP API, leader election, and the scheduler while it leads.

Without ZooKeeper it leads alone with its state in memory. With ZooKeeper it joins the Curator
latch under ``<zk>/leader-curator`` (node data ``host:port``), keeps state under
``<zk>/state``, and standbys proxy to the leader. Stopping an instance closes its ZooKeeper
session, so its latch node vanishes and the next participant takes over, re-registering the
same Mesos framework and finding every task still running. A crashed instance (``kill -9``)
closes its port at once but its session, and so its latch node, lives on until it times out:
meanwhile standbys still proxy to it and answer 502 "Connection to leader refused.".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from kazoo.client import KazooClient

from simcluster.clock import SimClock
from simcluster.config import SimConfig
from simcluster.faults import FaultInjector
from simcluster.marathon.events import EventBus
from simcluster.marathon.health import HealthMonitor
from simcluster.marathon.proxy import LeaderProxyMiddleware
from simcluster.marathon.routes import marathon_app
from simcluster.marathon.scheduler import MarathonScheduler
from simcluster.marathon.store import MemoryBackend, StateBackend, ZooKeeperBackend
from simcluster.mesos import MesosMaster
from simcluster.server import ServedApp, bind_free_socket
from simcluster.zk.latch import CuratorLatch

log = logging.getLogger(__name__)


class MarathonInstance:
    def __init__(
        self,
        master: MesosMaster,
        clock: SimClock,
        config: SimConfig,
        *,
        master_url: str,
        faults: FaultInjector | None = None,
        memory: MemoryBackend | None = None,
    ) -> None:
        self.master = master
        self.clock = clock
        self.config = config
        self.master_url = master_url
        self.faults = faults
        self.events = EventBus(clock)
        self.is_leader = False
        self._leader_id: str | None = None
        self._sock = bind_free_socket(config.host)
        self.port: int = self._sock.getsockname()[1]
        self.host_port = f"{config.host}:{self.port}"
        self.own_url = f"http://{self.host_port}"
        self._zk: KazooClient | None = None
        self._latch: CuratorLatch | None = None
        self._store: StateBackend = memory or MemoryBackend()
        self.scheduler = self._new_scheduler()
        self._health: HealthMonitor | None = None
        self._served: ServedApp | None = None
        self._transition: asyncio.Lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._gone = False  # stopped or crashed: leadership news is ignored from then on
        self.proxy: LeaderProxyMiddleware | None = None
        self._session_expiry: asyncio.Task[None] | None = None

    def _new_scheduler(self) -> MarathonScheduler:
        return MarathonScheduler(
            self.master,
            self.clock,
            self._store,
            self.events,
            hostname=self.config.host,
            webui_url=self.own_url,
            features=self.config.marathon_features,
        )

    @property
    def url(self) -> str:
        return self.own_url

    def leader_host_port(self) -> str | None:
        return self.host_port if self.is_leader else self._leader_id

    def proxies_events(self) -> bool:
        """1.5/1.6 proxy ``/v2/events``; 1.7+ redirect to the leader."""
        return self.config.marathon_version.startswith(("1.5", "1.6"))

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        app, self.proxy = marathon_app(self)
        self._served = ServedApp(app, self._sock)
        await self._served.start()
        if not self.config.zk_hosts:
            await self._lead()
            return
        self._zk = KazooClient(hosts=self.config.zk_hosts, timeout=10.0)
        await asyncio.to_thread(self._zk.start, 10.0)
        self._store = ZooKeeperBackend(self._zk, f"{self.config.zk_marathon_path}/state")
        self.scheduler = self._new_scheduler()
        self._latch = CuratorLatch(
            self._zk,
            f"{self.config.zk_marathon_path}/leader-curator",
            self.host_port,
            self._leader_changed_threadsafe,
        )
        await asyncio.to_thread(self._latch.start)

    async def stop(self) -> None:
        """Stop the process: its session ends, so another instance can take over."""
        self._gone = True
        if self._latch is not None:
            self._latch.abandon()  # closing the session below removes the node
        async with self._transition:
            await self._unlead()
        await self._settle_background()
        expiry, self._session_expiry = self._session_expiry, None
        if expiry is not None:  # crashed earlier: its session ends now
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry
        await self._close_session()
        await self._stop_serving()

    async def crash(self, session_timeout: float = 10.0) -> None:
        """``kill -9`` or a lost machine: the port closes now, but the ZooKeeper session (and
        so the latch node naming this instance) lives on until it times out after
        ``session_timeout`` real seconds. Tasks keep running on the master."""
        if self._gone:
            return
        self._gone = True
        if self._latch is not None:
            self._latch.abandon()
        # Its connections die first, with the requests in them: none is answered by an
        # instance half way out of office (a real one has no such moment).
        await self._stop_serving(killed=True)
        async with self._transition:
            await self._unlead()
        await self._settle_background()
        if self._zk is not None:
            self._session_expiry = asyncio.create_task(self._end_session_after(session_timeout))

    async def _end_session_after(self, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            # Also when cancelled (the cluster stops first): the session must end.
            await self._close_session()

    async def _close_session(self) -> None:
        if self._zk is not None:
            zk, self._zk = self._zk, None
            await asyncio.to_thread(zk.stop)
            await asyncio.to_thread(zk.close)

    async def _stop_serving(self, *, killed: bool = False) -> None:
        if self._served is not None:
            served, self._served = self._served, None
            await (served.kill() if killed else served.stop())
        if self.proxy is not None:  # its kept-alive connections to the leader
            await self.proxy.aclose()

    async def _settle_background(self) -> None:
        """Leadership changes still queued would lead again on a closing session."""
        jobs = list(self._background)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """On the loop: run ``coro`` as a task this instance keeps (and settles when it stops)."""
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def abdicate(self) -> None:
        """``DELETE /v2/leader``: step down and rejoin the election at the back."""
        self._spawn(self.step_down())

    async def step_down(self, *, rejoin: bool = True) -> None:
        """Stop leading and rejoin the election at the back, or (``rejoin=False``) stay out."""
        async with self._transition:
            await self._unlead()
            if not rejoin:
                self._leader_id = None
        if self._latch is not None:
            await asyncio.to_thread(self._latch.rejoin if rejoin else self._latch.leave)

    # -- leadership -------------------------------------------------------------------------

    def _leader_changed_threadsafe(self, leader_id: str | None, leads: bool) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(
            lambda: self._spawn(self._leader_changed(leader_id, leads))
        )

    async def _leader_changed(self, leader_id: str | None, leads: bool) -> None:
        async with self._transition:
            if self._gone:
                return
            self._leader_id = None if leads else leader_id
            if leads and not self.is_leader:
                await self._lead_locked()
            elif not leads and self.is_leader:
                await self._unlead()

    async def _lead(self) -> None:
        async with self._transition:
            await self._lead_locked()

    async def _lead_locked(self) -> None:
        self.scheduler = self._new_scheduler()
        await self.scheduler.start_leading()
        self._health = HealthMonitor(self.scheduler)
        self._health.start()
        self.is_leader = True

    async def _unlead(self) -> None:
        if not self.is_leader:
            return
        self.is_leader = False
        self.events.close_all()
        if self._health is not None:
            await self._health.stop()
            self._health = None
        await self.scheduler.stop_leading()
