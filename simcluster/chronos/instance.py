"""One Chronos process: HTTP on a loopback port, leader election, the scheduler.

Without ZooKeeper the instance is a leader on its own with jobs in memory. With ZooKeeper it
joins the latch under ``<zk_path>/candidate``, keeps jobs under ``<zk_path>/state`` and only
schedules while it leads; the others proxy requests to the leader. Killing the leader closes
its session, the next instance takes over and re-registers the same Mesos framework, so
running tasks (owned by the master) keep running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import httpx
from kazoo.client import KazooClient
from starlette.types import ASGIApp

from simcluster.basic_auth import BasicAuthMiddleware
from simcluster.chronos import responses as r
from simcluster.chronos.api import create_api
from simcluster.chronos.frontdoor import FrontDoor
from simcluster.chronos.options import ChronosOptions
from simcluster.chronos.scheduler import JobScheduler
from simcluster.chronos.store import JobStore, MemoryBackend, ZooKeeperBackend
from simcluster.clock import SimClock
from simcluster.mesos import MesosMaster
from simcluster.server import ServedApp, bind_free_socket
from simcluster.zk.latch import CuratorLatch

log = logging.getLogger(__name__)


class ChronosInstance:
    def __init__(
        self,
        master: MesosMaster,
        clock: SimClock,
        *,
        options: ChronosOptions | None = None,
        zk_hosts: str | None = None,
        port: int = 0,
        middleware: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.options = options or ChronosOptions()
        self.master = master
        self.clock = clock
        self.zk_hosts = _strip_zk_url(zk_hosts) if zk_hosts else None
        self._requested_port = port
        # Outermost wrapper around everything this process serves (e.g. fault injection).
        self._middleware = middleware
        self.port = 0
        self.is_leader = False
        self.alive = False
        self._zk: KazooClient | None = None
        self._latch: CuratorLatch | None = None
        self._served: ServedApp | None = None
        self._http: httpx.AsyncClient | None = None
        self._leadership: asyncio.Task[None] | None = None
        self._want_leader = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session_expiry: asyncio.Task[None] | None = None
        self.scheduler: JobScheduler

    @property
    def participant_id(self) -> str:
        """``--hostname:--http_port``: the latch data and the ``/leader`` answer."""
        return f"{self.options.hostname}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.options.hostname}:{self.port}"

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        sock = bind_free_socket(self.options.hostname, self._requested_port)
        self.port = sock.getsockname()[1]
        self._requested_port = self.port  # a restarted instance keeps its --http_port
        if self.zk_hosts is None:
            store = JobStore(MemoryBackend(), threaded=False)
        else:
            self._zk = KazooClient(hosts=self.zk_hosts, timeout=self.options.zk_timeout)
            try:
                await asyncio.to_thread(self._zk.start, self.options.zk_timeout)
            except Exception:
                sock.close()
                self._zk = None
                raise
            store = JobStore(ZooKeeperBackend(self._zk, f"{self.options.zk_path}/state"), threaded=True)
        self.scheduler = JobScheduler(self.master, self.clock, store, self.options, on_fatal=self._fatal)
        self.scheduler.webui_url = self.url
        # Only a member of an election ever proxies (and building a client costs ~50 ms).
        self._http = httpx.AsyncClient(timeout=10.0) if self._zk is not None else None
        app: ASGIApp = FrontDoor(create_api(self), self, client=self._http)
        if self.options.http_credentials is not None:
            app = BasicAuthMiddleware(
                app, self.options.http_credentials, self.options.http_realm, r.jetty_error_page
            )
        served: ASGIApp = app if self._middleware is None else self._middleware(app)
        self._served = ServedApp(served, sock)
        await self._served.start()
        self.alive = True
        if self._zk is None:
            self._leadership_changed(True)
        else:
            candidates = f"{self.options.zk_path}/candidate"
            self._latch = CuratorLatch(self._zk, candidates, self.participant_id, self._from_zk_thread)
            await asyncio.to_thread(self._latch.start)

    async def stop(self) -> None:
        """Shut down: leave the election, stop scheduling, stop serving."""
        if not self.alive:
            await self._expire_session()  # a crashed instance's session may still be open
            return
        self.alive = False
        # The driver goes before the latch node: nobody else can be elected (and re-register
        # the shared framework) while this instance still holds it.
        await self._stop_scheduling()
        if self._latch is not None:
            await asyncio.to_thread(self._latch.close)
        await self._expire_session()
        await self._stop_serving()

    async def kill(self) -> None:
        """The process exits: it leaves the election at once (its ZooKeeper session closes),
        another instance takes over; tasks keep running on the master."""
        # Its port closes first, as a process's does: while it still answered with its session
        # already closed, a late request got an HTTP 500 no real Chronos would send.
        if self.alive:
            await self._stop_serving()
        await self.stop()

    async def crash(self, session_timeout: float | None = None) -> None:
        """``kill -9`` or a lost machine: the port closes now, and the requests in progress end
        unanswered, but ZooKeeper keeps naming this instance as leader until its session times
        out (``zk_timeout`` real seconds unless given), so standbys answer the proxy error page
        meanwhile."""
        if not self.alive:
            return
        self.alive = False
        if self._latch is not None:
            self._latch.abandon()
        await self._stop_serving(killed=True)  # first, as for Marathon's crash
        await self._stop_scheduling()
        if self._zk is not None:
            timeout = self.options.zk_timeout if session_timeout is None else session_timeout
            zk, self._zk = self._zk, None  # a restart gets a session of its own
            self._session_expiry = asyncio.create_task(_close_after(zk, timeout))

    async def _stop_scheduling(self) -> None:
        self._want_leader = False
        if self._leadership is not None:
            await self._leadership
        await self.scheduler.stop_leading()
        self.is_leader = False

    async def _stop_serving(self, *, killed: bool = False) -> None:
        if self._served is not None:
            served, self._served = self._served, None
            await (served.kill() if killed else served.stop())
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _expire_session(self) -> None:
        expiry, self._session_expiry = self._session_expiry, None
        if expiry is not None:
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry
        await self._close_session()

    async def _close_session(self) -> None:
        if self._zk is not None:
            zk, self._zk = self._zk, None
            await asyncio.to_thread(_close_client, zk)

    async def leader_id(self) -> str:
        if self._latch is None:
            return self.participant_id
        try:
            return await asyncio.to_thread(self._latch.leader_id)
        except Exception as error:
            # Chronos: "Error trying to talk to zookeeper. Exiting." and System.exit(1).
            self._fatal(f"Error trying to talk to zookeeper: {error}")
            return ""

    # -- leadership -------------------------------------------------------------------------

    def _from_zk_thread(self, leader_id: str | None, leads: bool) -> None:
        # Whom it follows is asked on each request (``leader_id``), as Chronos does.
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._leadership_changed, leads)

    def _leadership_changed(self, leader: bool) -> None:
        if not self.alive:
            return
        self._want_leader = leader
        if self._leadership is None or self._leadership.done():
            self._leadership = asyncio.create_task(self._follow_leadership())

    async def _follow_leadership(self) -> None:
        # Elected/defeated events can arrive faster than the scheduler starts or stops.
        while self.is_leader != self._want_leader:
            if self._want_leader:
                self.is_leader = True
                log.info("Chronos %s elected leader", self.participant_id)
                await self.scheduler.start_leading()
            else:
                self.is_leader = False
                log.info("Chronos %s defeated", self.participant_id)
                await self.scheduler.stop_leading()

    def _fatal(self, reason: str) -> None:
        log.error("Chronos %s exits: %s", self.participant_id, reason)
        if self.alive:
            asyncio.get_running_loop().create_task(self.kill())


async def _close_after(zk: KazooClient, seconds: float) -> None:
    try:
        await asyncio.sleep(seconds)
    finally:
        # Also when cancelled (the cluster shuts down first): the session must end.
        await asyncio.to_thread(_close_client, zk)


def _close_client(zk: KazooClient) -> None:
    zk.stop()
    zk.close()


def _strip_zk_url(hosts: str) -> str:
    """``--zk_hosts`` accepts ``zk://h1:p,h2:p/path``: the scheme and the path are dropped."""
    text = hosts.removeprefix("zk://")
    return text.split("/", 1)[0]
