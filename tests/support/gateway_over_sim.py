"""The gateway over HTTP, discovering the simulated cluster's leaders in a real ZooKeeper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.app import create_app
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from gateway.serving import EmbeddedServer, bind_socket
from gateway.upstreams.marathon import marathon_has_no_leader
from simcluster import SimCluster, SimConfig
from simcluster.marathon.instance import MarathonInstance
from tests.support.failover_traffic import RecordingTransport
from tests.support.paths import JOB_SPECS
from tests.support.waiting import eventually


@dataclass
class GatewayOverSim:
    sim: SimCluster
    users: httpx.AsyncClient
    transport: RecordingTransport
    tokens: dict[str, str]

    def as_user(self, user: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def deploy(self, description: str) -> httpx.Request:
        return self.users.build_request(
            "POST", "/v1/deployments", headers=self.as_user(),
            json={"image": "deephdc/deep-oc-image-classification-tf:cpu",
                  "description": description,
                  "hardware": {"cpus": 0.1, "memory": 128, "disk": 128, "gpus": 0}})

    async def ready(self, timeout: float = 20.0) -> dict[str, Any]:
        """Wait until /readyz says every leader is known; its body."""
        response = await eventually(lambda: self.users.get("/readyz"), timeout, interval=0.1,
                                    done=lambda response: response.status_code == 200)
        return dict(response.json())

    def submit_job(self, name: str) -> httpx.Request:
        # Scheduled far ahead: the test is about the API calls, not about runs.
        return self.users.build_request(
            "POST", "/v1/jobs", headers=self.as_user(),
            json={"name": name, "image": "deephdc/deep-oc-generic-dev:cpu",
                  "command": "python job.py", "schedule": "R1/2030-01-01T00:00:00Z/P1D",
                  "hardware": {"cpus": 0.1, "memory": 128, "disk": 128, "gpus": 0}})

    async def deployment_descriptions(self) -> list[str]:
        """The description of every deployment the Marathon leader holds, asked of Marathon
        itself: a write lost or made twice shows here whatever the gateway said."""
        leader = await self.sim.wait_for_marathon_leader()
        async with httpx.AsyncClient(base_url=leader.url, timeout=10) as marathon:
            answer = await marathon.get("/v2/apps", params={"label": "gateway.kind==deployment"})
        answer.raise_for_status()
        return [str(app["labels"].get("gateway.description")) for app in answer.json()["apps"]]

    async def add_marathon(self) -> MarathonInstance:
        """Start one more Marathon instance; it joins the election behind the others."""
        sim = self.sim
        instance = MarathonInstance(sim.master, sim.clock, sim.config, master_url=sim.mesos_url,
                                    faults=sim.faults)
        sim.marathons.append(instance)
        await instance.start()
        return instance


    async def add_chronos(self) -> Any:
        """Start one more Chronos instance like the others; it joins their election."""
        sim, model = self.sim, self.sim.chronoses[0]
        instance = type(model)(sim.master, sim.clock, options=model.options,
                               zk_hosts=sim.config.zk_hosts)
        sim.chronoses.append(instance)
        await instance.start()
        return instance


@asynccontextmanager
async def gateway_over_sim(zk_hosts: str, *, marathons: int = 2, chronoses: int = 1,
                           failover_wait: float = 8.0,
                           gateway_zk_hosts: str | None = None) -> AsyncIterator[GatewayOverSim]:
    """``gateway_zk_hosts``: where the gateway reaches ZooKeeper, when not as the cluster does."""
    # A port range of its own: other suites running at the same time use the default one.
    config = SimConfig(marathon_instances=marathons, chronos_instances=chronoses, zk_hosts=zk_hosts,
                       port_range=(30000, 30999), faults=True)
    async with SimCluster(config) as sim:
        issuer_socket = bind_socket("127.0.0.1")
        issuer = DevIssuer(f"http://127.0.0.1:{issuer_socket.getsockname()[1]}/")
        issuer_server = EmbeddedServer(issuer.asgi_app(), "127.0.0.1", sock=issuer_socket)
        await issuer_server.start()
        transport = RecordingTransport(no_effect=marathon_has_no_leader)
        settings = Settings(
            oidc_issuers=[issuer.issuer], zk_hosts=gateway_zk_hosts or zk_hosts,
            zk_session_timeout=4.0,
            required_groups=[DEMO_GROUP], admin_groups=[ADMIN_GROUP], job_specs_dir=JOB_SPECS,
            leader_failover_wait=failover_wait)
        server = EmbeddedServer(create_app(settings, transport=transport), "127.0.0.1")
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as users:
                yield GatewayOverSim(sim, users, transport, issuer.demo_tokens())
        finally:
            await server.stop()
            await issuer_server.stop()
