"""The gateway in a TestClient in front of a scripted Marathon and Mesos (tests/support/
fake_marathon.py), with demo users' tokens from a development issuer: for the HTTP API's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from tests.support.fake_marathon import MARATHON, MESOS, FakeCluster

ISSUER = "https://issuer.test/"
JOB_SPECS = Path(__file__).parents[2] / "job_specs"
CPU_BODY = {"module": "image-classification-tf", "hardware": {"cpus": 1, "memory": 2048}}


@dataclass
class Harness:
    cluster: FakeCluster
    client: TestClient
    tokens: dict[str, str]
    issuer: DevIssuer

    def call(self, method: str, path: str, user: str = "alice", **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def deploy(self, user: str = "alice", body: dict | None = None, **kwargs) -> httpx.Response:
        return self.call("POST", "/v1/deployments", user, json=body or CPU_BODY, **kwargs)


def harness_for(job_specs_dir: Path = JOB_SPECS, **settings) -> Iterator[Harness]:
    issuer = DevIssuer(ISSUER)
    cluster = FakeCluster()
    issuer_transport = httpx.ASGITransport(issuer.asgi_app())

    async def to_issuer(request: httpx.Request) -> httpx.Response:
        response = await issuer_transport.handle_async_request(request)
        await response.aread()
        return response

    cluster.other = to_issuer
    conf = Settings(oidc_issuers=[ISSUER], marathon_url=MARATHON, mesos_url=MESOS,
                    chronos_url="", lb_host="lb.example.org", required_groups=[DEMO_GROUP],
                    admin_groups=[ADMIN_GROUP], job_specs_dir=job_specs_dir, **settings)
    with TestClient(create_app(conf, transport=cluster.transport())) as client:
        yield Harness(cluster, client, issuer.demo_tokens(), issuer)


configured = contextmanager(harness_for)  # a harness with other settings, inside a test
