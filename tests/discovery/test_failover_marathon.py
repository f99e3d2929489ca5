"""Killing the Marathon leader while users keep listing and deploying through the gateway's API.

The whole path is real except the schedulers: a real ZooKeeper, the simulated cluster with two
Marathon instances contending in it, the development token issuer, and the gateway over HTTP
with discovery through ZooKeeper.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.clients.marathon import marathon_has_no_leader
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from gateway.serving import EmbeddedServer, bind_socket
from tests.discovery.failover_traffic import RecordingTransport, drive
from tests.fixtures.zookeeper import ZooKeeperServer

try:
    from gateway.sim import SimCluster, SimConfig
except ImportError:  # pragma: no cover - the simulated cluster is written in parallel
    pytest.skip("the simulated cluster (gateway.sim) has not landed yet", allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

JOB_SPECS = Path(__file__).parents[2] / "job_specs"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Gateway:
    sim: SimCluster
    users: httpx.AsyncClient
    transport: RecordingTransport
    tokens: dict[str, str]

    def as_user(self, user: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
async def gateway(own_zookeeper: ZooKeeperServer) -> AsyncIterator[Gateway]:
    # A port range of its own: other suites running at the same time use the default one.
    config = SimConfig(marathon_instances=2, chronos_instances=1, zk_hosts=own_zookeeper.hosts,
                       port_range=(30000, 30999))
    async with SimCluster(config) as sim:
        issuer_socket = bind_socket("127.0.0.1")
        issuer = DevIssuer(f"http://127.0.0.1:{issuer_socket.getsockname()[1]}/")
        issuer_server = EmbeddedServer(issuer.asgi_app(), "127.0.0.1", sock=issuer_socket)
        await issuer_server.start()
        transport = RecordingTransport(no_effect=marathon_has_no_leader)
        settings = Settings(
            oidc_issuers=[issuer.issuer], zk_hosts=own_zookeeper.hosts, zk_session_timeout=4.0,
            required_groups=[DEMO_GROUP], admin_groups=[ADMIN_GROUP], job_specs_dir=JOB_SPECS,
            leader_failover_wait=8.0)
        server = EmbeddedServer(create_app(settings, transport=transport), "127.0.0.1")
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as users:
                yield Gateway(sim, users, transport, issuer.demo_tokens())
        finally:
            await server.stop()
            await issuer_server.stop()


async def ready(gateway: Gateway, timeout: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        response = await gateway.users.get("/readyz")
        if response.status_code == 200:
            return dict(response.json())
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.1)


async def test_killing_the_marathon_leader_fails_no_listing_and_deploys_nothing_twice(gateway):
    status = await ready(gateway)
    leader = await gateway.sim.wait_for_marathon_leader()
    assert status["leaders"]["marathon"]["url"] == leader.url  # type: ignore[index]
    standby = next(m for m in gateway.sim.marathons if m is not leader)

    def deploy(name: str) -> asyncio.Future[httpx.Response]:
        return asyncio.ensure_future(gateway.users.post(
            "/v1/deployments", headers=gateway.as_user(),
            json={"image": "deephdc/deep-oc-image-classification-tf:cpu", "description": name,
                  "hardware": {"cpus": 0.1, "memory": 128, "disk": 128, "gpus": 0}}))

    stop = asyncio.Event()
    traffic_task = asyncio.create_task(drive(
        read=lambda: gateway.users.get("/v1/deployments", headers=gateway.as_user()),
        write=deploy, stop=stop, write_pause=0.1))
    await asyncio.sleep(1.0)
    killed = time.monotonic()
    await gateway.sim.kill_marathon(gateway.sim.marathons.index(leader))
    await gateway.sim.wait_for_marathon_leader()
    while gateway.transport.first_answer_from(standby.url, killed) is None:
        assert time.monotonic() - killed < 10, "the gateway never used the new leader"
        await asyncio.sleep(0.05)
    used = gateway.transport.first_answer_from(standby.url, killed)
    await asyncio.sleep(1.0)
    stop.set()
    traffic = await traffic_task

    assert used is not None and used - killed < 1.0
    assert len(traffic.reads) > 20
    assert [o.detail for o in traffic.failed_reads()] == []
    assert [o.detail for o in traffic.failed_writes()] == []
    assert max(gateway.transport.reached.values()) == 1, "an app was submitted to Marathon twice"
    listed = await gateway.users.get("/v1/deployments", headers=gateway.as_user())
    descriptions = [item["description"] for item in listed.json()["items"]]
    assert sorted(descriptions) == sorted(traffic.submitted)
    after = await ready(gateway)
    assert after["leaders"]["marathon"]["url"] == standby.url  # type: ignore[index]
