"""SimCluster: a Mesos master with agents, Marathon and Chronos instances on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from kazoo.client import KazooClient

from simcluster.chronos import ChronosInstance, ChronosOptions
from simcluster.clock import SimClock
from simcluster.config import SimConfig
from simcluster.faults import FaultInjector, FaultMiddleware
from simcluster.marathon.instance import MarathonInstance
from simcluster.mesos import AgentSpec, MesosMaster
from simcluster.mesos.http_agent import create_agent_app
from simcluster.mesos.http_master import create_master_app
from simcluster.mesos.state_json import master_info
from simcluster.server import ServedApp, bind_free_socket
from simcluster.zk.mesos import register_master

log = logging.getLogger(__name__)


class SimCluster:
    """``async with SimCluster(cfg) as sim`` inside a running loop, or
    ``with SimCluster.in_thread(cfg) as sim`` from synchronous code."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.clock = SimClock(self.config.time_scale)
        self.faults: FaultInjector | None = FaultInjector() if self.config.faults else None
        self.workdir = Path(tempfile.mkdtemp(prefix="gateway-sim-"))
        cfg = self.config
        spec = AgentSpec(cfg.agent_cpus, cfg.agent_mem, cfg.agent_disk, cfg.agent_gpus,
                         cfg.port_range)
        self.master = MesosMaster([spec] * cfg.agents, clock=self.clock, workdir=self.workdir,
                                  hostname=cfg.host)
        self.marathons: list[MarathonInstance] = []
        self.chronoses: list[ChronosInstance] = []
        self._servers: list[ServedApp] = []
        self._mesos_zk: KazooClient | None = None
        self.mesos_zk_node: str | None = None
        self.mesos_url = ""
        self.agent_urls: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None  # set by in_thread()

    # -- public URLs ------------------------------------------------------------------------

    @property
    def marathon_urls(self) -> list[str]:
        return [m.url for m in self.marathons]

    @property
    def marathon_url(self) -> str | None:
        """The leading instance's URL (the first one when nobody leads yet)."""
        leaders = [m for m in self.marathons if m.is_leader]
        chosen = leaders or self.marathons
        return chosen[0].url if chosen else None

    @property
    def chronos_urls(self) -> list[str]:
        return [str(c.url) for c in self.chronoses]

    @property
    def chronos_url(self) -> str | None:
        leaders = [c for c in self.chronoses if getattr(c, "is_leader", False)]
        chosen = leaders or self.chronoses
        return str(chosen[0].url) if chosen else None

    # -- life cycle -------------------------------------------------------------------------

    async def __aenter__(self) -> SimCluster:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        cfg = self.config
        await self.master.start()
        master_sock = bind_free_socket(cfg.host)
        self.master.port = master_sock.getsockname()[1]
        await self._serve(create_master_app(self.master), master_sock)
        self.mesos_url = f"http://{cfg.host}:{self.master.port}"
        for agent_id, agent in self.master.agents.items():
            sock = bind_free_socket(cfg.host)
            agent.port = sock.getsockname()[1]
            await self._serve(create_agent_app(self.master, agent_id, self.workdir), sock)
            self.agent_urls.append(f"http://{cfg.host}:{agent.port}")
        if cfg.zk_hosts:
            await self._register_mesos_in_zk()
        for _ in range(cfg.marathon_instances):
            instance = MarathonInstance(
                self.master, self.clock, cfg, master_url=self.mesos_url, faults=self.faults
            )
            self.marathons.append(instance)
            await instance.start()
        await self._start_chronos()
        if self.marathons and cfg.zk_hosts:
            await self.wait_for_marathon_leader()

    async def stop(self) -> None:
        # Stopping servers one by one costs uvicorn's shutdown poll each; do it together.
        await asyncio.gather(
            *(c.stop() for c in self.chronoses), *(m.stop() for m in self.marathons),
            return_exceptions=True,
        )
        await self.master.stop()
        await asyncio.gather(*(s.stop() for s in self._servers), return_exceptions=True)
        self._servers.clear()
        if self._mesos_zk is not None:
            zk, self._mesos_zk = self._mesos_zk, None
            await asyncio.to_thread(zk.stop)
            await asyncio.to_thread(zk.close)
        shutil.rmtree(self.workdir, ignore_errors=True)

    async def kill_marathon(self, index: int) -> None:
        """Stop Marathon instance ``index``: its ZooKeeper session closes and, if it led,
        another instance takes over."""
        await self.marathons[index].stop()

    async def crash_marathon(self, index: int, session_timeout: float = 10.0) -> None:
        """``kill -9`` Marathon instance ``index``: its port closes now, but ZooKeeper names
        it as leader until its session times out after ``session_timeout`` real seconds;
        meanwhile standbys answer 502 "Connection to leader refused."."""
        await self.marathons[index].crash(session_timeout)

    async def kill_chronos(self, index: int) -> None:
        await self.chronoses[index].stop()

    async def wait_for_marathon_leader(self, timeout: float = 10.0) -> MarathonInstance:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for instance in self.marathons:
                if instance.is_leader:
                    return instance
            await asyncio.sleep(0.05)
        raise TimeoutError("no Marathon instance became leader")

    # -- internals --------------------------------------------------------------------------

    async def _serve(self, app: Any, sock: Any) -> None:
        if self.faults is not None:
            app = FaultMiddleware(app, self.faults)
        served = ServedApp(app, sock)
        await served.start()
        self._servers.append(served)

    async def _register_mesos_in_zk(self) -> None:
        cfg = self.config
        assert cfg.zk_hosts is not None
        zk = KazooClient(hosts=cfg.zk_hosts, timeout=10.0)
        await asyncio.to_thread(zk.start, 10.0)
        self._mesos_zk = zk
        info = master_info(self.master.master_id, cfg.host, self.master.port, self.master.version)
        self.mesos_zk_node = await asyncio.to_thread(register_master, zk, cfg.zk_mesos_path, info)

    async def _start_chronos(self) -> None:
        cfg = self.config
        if cfg.chronos_instances == 0:
            return
        credentials = ":".join(cfg.credentials) if cfg.credentials else None
        options = ChronosOptions.with_gpus(
            cfg.chronos_gpus, hostname=cfg.host, http_credentials=credentials,
            zk_path=cfg.zk_chronos_path,
        )
        faults = self.faults
        middleware = (lambda app: FaultMiddleware(app, faults)) if faults is not None else None
        for _ in range(cfg.chronos_instances):
            instance = ChronosInstance(self.master, self.clock, options=options, zk_hosts=cfg.zk_hosts,
                                    middleware=middleware)
            self.chronoses.append(instance)
            await instance.start()

    # -- synchronous use --------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def in_thread(cls, config: SimConfig | None = None) -> Iterator[SimCluster]:
        """Run the cluster on its own event loop in a daemon thread."""
        cluster = cls(config)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="sim-cluster", daemon=True)
        thread.start()
        cluster.loop = loop
        try:
            asyncio.run_coroutine_threadsafe(cluster.__aenter__(), loop).result(60)
            yield cluster
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(cluster.stop(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        """From another thread: run ``coro`` on the cluster's loop (``in_thread`` only)."""
        assert self.loop is not None, "call() is for clusters started with in_thread()"
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)
