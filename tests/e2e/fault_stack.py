"""The gateway over HTTP in front of the simulated cluster with fault injection, real ZooKeeper
and the dev issuer (itself behind fault injection), for the fault suite. Short timeouts keep
the suite's wall time small."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.app import create_app
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from gateway.serving import EmbeddedServer, bind_socket
from simcluster import SimCluster, SimConfig
from simcluster.faults import FaultInjector, FaultMiddleware
from tests.support.background import BackgroundLoop
from tests.support.paths import JOB_SPECS
from tests.support.waiting import eventually_sync

UPSTREAM_TIMEOUT = 1.5
FAILOVER_WAIT = 3.0
SMALL = {"cpus": 0.1, "memory": 128, "disk": 128, "gpus": 0}


@dataclass
class FaultStack:
    loop: BackgroundLoop
    sim: SimCluster
    issuer_faults: FaultInjector
    gateway_url: str
    tokens: dict[str, str]
    settings: Settings

    def client(self, user: str = "alice", timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.gateway_url, timeout=timeout,
                            headers={"Authorization": f"Bearer {self.tokens[user]}"})

    def fault(self, **rule: Any) -> None:
        """A rule for every simulated server (paths tell them apart: /v2 Marathon,
        /v1/scheduler Chronos, /master Mesos)."""
        assert self.sim.faults is not None
        self.loop.run(_call(lambda: self.sim.faults.add(rule)))  # type: ignore[union-attr]

    def clear(self) -> None:
        assert self.sim.faults is not None
        self.loop.run(_call(self.sim.faults.rules.clear))
        self.loop.run(_call(self.issuer_faults.rules.clear))

    def marathon_apps(self, label: str = "") -> list[dict[str, Any]]:
        url = self.loop.run(_call(lambda: self.sim.marathon_url))
        params = {"label": label} if label else {}
        answer = httpx.get(f"{url}/v2/apps", params=params, timeout=10).json()
        return list(answer["apps"])

    def chronos_job_names(self) -> list[str]:
        url = self.loop.run(_call(lambda: self.sim.chronos_url))
        answer = httpx.get(f"{url}/v1/scheduler/jobs", timeout=10).json()
        return [str(job["name"]) for job in answer]

    def wait(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        return eventually_sync(check, timeout, interval=0.2)


async def _call(function: Callable[[], Any]) -> Any:
    # Run on the stack's loop, where the injectors and the cluster live.
    return function()


@asynccontextmanager
async def fault_stack(zk_hosts: str, loop: BackgroundLoop) -> AsyncIterator[FaultStack]:
    config = SimConfig(agents=1, agent_gpus=0, marathon_instances=2, chronos_instances=1,
                       zk_hosts=zk_hosts, faults=True, port_range=(32000, 32499),
                       service_port_range=(21000, 21999))
    async with SimCluster(config) as sim:
        issuer_socket = bind_socket("127.0.0.1")
        issuer = DevIssuer(f"http://127.0.0.1:{issuer_socket.getsockname()[1]}/")
        issuer_faults = FaultInjector()
        issuer_server = EmbeddedServer(FaultMiddleware(issuer.asgi_app(), issuer_faults),
                                       "127.0.0.1", sock=issuer_socket)
        await issuer_server.start()
        settings = Settings(
            oidc_issuers=[issuer.issuer], zk_hosts=zk_hosts, zk_session_timeout=4.0,
            required_groups=[DEMO_GROUP], admin_groups=[ADMIN_GROUP], job_specs_dir=JOB_SPECS,
            upstream_timeout=UPSTREAM_TIMEOUT, leader_failover_wait=FAILOVER_WAIT,
            # Every job read reaches Chronos, so each fault is met by the read that follows it
            # (the short reuse of Chronos' answers has its own tests).
            chronos_cache_ttl=0.0)
        server = EmbeddedServer(create_app(settings), "127.0.0.1")
        await server.start()
        try:
            yield FaultStack(loop, sim, issuer_faults, server.url, issuer.demo_tokens(), settings)
        finally:
            await server.stop()
            await issuer_server.stop()
