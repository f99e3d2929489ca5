"""Two gateway replicas share one ZooKeeper lock per user, so together they cannot overshoot."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from gateway.config import Settings
from gateway.identity import Identity
from gateway.quota_locks import ZooKeeperQuotaLock
from gateway.quotas import Quotas
from tests.discovery.zookeeper_server import ZooKeeperServer
from tests.test_quotas import Ledger, _race

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    server = ZooKeeperServer(Path(tmp_path_factory.mktemp("zookeeper")))
    server.start()
    yield server
    server.stop()


async def _two_replicas_race(hosts: str, attempts: int) -> tuple[int, Ledger, Identity]:
    ledger = Ledger()
    replicas = []
    for _ in range(2):
        lock = ZooKeeperQuotaLock(hosts, "/gateway/quota-locks", timeout=20)
        await lock.start()
        quotas = Quotas(Settings(quota_gpus=4), lock)
        quotas.register_usage("deployments", ledger.usage)
        replicas.append(quotas)
    carol = Identity(subject="carol", issuer="https://iam.example.org/")
    try:
        admitted = await _race(replicas, ledger, carol, attempts)
    finally:
        for quotas in replicas:
            await quotas.lock.stop()
    return admitted, ledger, carol


def test_two_replicas_with_twenty_concurrent_requests_admit_exactly_the_quota(zookeeper):
    admitted, ledger, carol = asyncio.run(_two_replicas_race(zookeeper.hosts, 20))
    assert admitted == 4
    assert sum(u.gpus for u in ledger.items[carol.owner]) == 4


def test_the_lock_is_a_znode_per_user_and_is_released_afterwards(zookeeper):
    asyncio.run(_two_replicas_race(zookeeper.hosts, 3))
    carol = Identity(subject="carol", issuer="https://iam.example.org/")
    client = KazooClient(hosts=zookeeper.hosts)
    client.start(10)
    try:
        assert client.exists(f"/gateway/quota-locks/{carol.owner}")
        assert client.get_children(f"/gateway/quota-locks/{carol.owner}") == []
    finally:
        client.stop()
        client.close()
