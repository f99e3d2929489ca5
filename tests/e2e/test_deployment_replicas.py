"""Two gateway replicas in front of one simulated cluster registered in a real ZooKeeper: they
find the leaders there and share the per-user quota lock, so together they cannot overshoot."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP
from gateway.devstack import DevInfo, DevStack
from gateway.serving import EmbeddedServer
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import fast_health_checks
from tests.support.zookeeper import ZooKeeperServer

pytestmark = pytest.mark.slow
QUOTA = 3


@dataclass
class Replicas:
    info: DevInfo
    urls: list[str]


class TwoReplicas:
    """The dev stack (sim + issuer + first gateway) plus a second gateway with equal settings."""

    def __init__(self, zk_hosts: str, job_specs: Path) -> None:
        self._settings = {"zk_hosts": zk_hosts, "quota_deployments": QUOTA}
        self._stack = DevStack(sim_config=SimConfig(agents=2, zk_hosts=zk_hosts, faults=True),
                               job_specs_dir=job_specs, settings=self._settings)
        self._job_specs = job_specs
        self._second: EmbeddedServer | None = None

    async def __aenter__(self) -> Replicas:
        info = await self._stack.__aenter__()
        settings = Settings(oidc_issuers=[info.issuer_url], lb_host="127.0.0.1",
                            required_groups=[DEMO_GROUP], admin_groups=[ADMIN_GROUP],
                            job_specs_dir=self._job_specs, **self._settings)
        self._second = EmbeddedServer(create_app(settings), "127.0.0.1")
        await self._second.start()
        return Replicas(info, [info.gateway_url, self._second.url])

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._second is not None:
            await self._second.stop()
        await self._stack.__aexit__(exc_type, exc, tb)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    zookeeper = ZooKeeperServer(Path(tmp_path_factory.mktemp("zookeeper")))
    zookeeper.start()
    try:
        job_specs = fast_health_checks(tmp_path_factory.mktemp("specs"))
        with running(TwoReplicas(zookeeper.hosts, job_specs)) as stack:
            yield stack
    finally:
        zookeeper.stop()


def test_twenty_requests_spread_over_two_replicas_admit_exactly_the_quota(replicas):
    headers = {"Authorization": f"Bearer {replicas.info.tokens['alice']}"}
    body = {"module": "image-classification-tf",
            "hardware": {"cpus": 0.5, "memory": 512, "disk": 100}}

    def post(index: int) -> httpx.Response:
        return httpx.post(f"{replicas.urls[index % 2]}/v1/deployments", json=body,
                          headers=headers, timeout=30)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(post, range(20)))
    assert sorted(r.status_code for r in responses) == [202] * QUOTA + [403] * (20 - QUOTA), \
        [r.text for r in responses if r.status_code not in (202, 403)]
    for url in replicas.urls:
        listed = httpx.get(f"{url}/v1/deployments", headers=headers, timeout=10).json()
        assert len(listed["items"]) == QUOTA
    marathon = httpx.get(f"{replicas.info.marathon_url}/v2/apps", timeout=10).json()["apps"]
    assert len(marathon) == QUOTA


def test_a_deployment_made_on_one_replica_is_found_by_id_on_the_other_at_once(replicas):
    # Behind a balancer the page after "deploy" may come from the other replica, whose read view
    # hears of the new app from Marathon's events a moment later. Single-app reads are slowed
    # here, so that moment is long: the other replica must ask Marathon, not answer 404.
    headers = {"Authorization": f"Bearer {replicas.info.tokens['bob']}"}
    marathon = replicas.info.marathon_url
    slow = httpx.post(f"{marathon}/__sim__/faults", timeout=10, json={
        "path": "/v2/apps/gateway/", "method": "GET", "latency": 1.5})
    assert slow.status_code < 300, slow.text
    try:
        created = httpx.post(f"{replicas.urls[0]}/v1/deployments", headers=headers, timeout=30,
                             json={"module": "image-classification-tf",
                                   "hardware": {"cpus": 0.5, "memory": 512, "disk": 100}})
        assert created.status_code == 202, created.text
        deployment = created.json()["id"]
        found = httpx.get(f"{replicas.urls[1]}/v1/deployments/{deployment}", headers=headers,
                          timeout=30)
        assert found.status_code == 200, found.text
        assert found.json()["id"] == deployment
    finally:
        httpx.delete(f"{marathon}/__sim__/faults", timeout=10)
    assert httpx.delete(f"{replicas.urls[1]}/v1/deployments/{deployment}", headers=headers,
                        timeout=30).status_code == 204
