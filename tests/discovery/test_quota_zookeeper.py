"""Two gateway replicas share one ZooKeeper lock per user, so together they cannot overshoot.

Each replica's lock borrows the session of its leader discovery, as in the app.
"""

import asyncio
import socket

import pytest
from kazoo.client import KazooClient

from gateway.config import Settings
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from gateway.ensemble import parse_ensemble
from gateway.errors import UpstreamUnavailable
from gateway.identity import Identity
from gateway.quota_locks import ZooKeeperQuotaLock
from gateway.quotas import Quotas
from tests.support.quota_race import Ledger, race
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow


async def _two_replicas_race(hosts: str, attempts: int) -> tuple[int, Ledger, Identity]:
    ledger = Ledger()
    replicas, sessions, locks = [], [], []
    for _ in range(2):
        session = ZooKeeperLeaderSource(parse_ensemble(hosts), {})
        await session.start()
        sessions.append(session)
        lock = ZooKeeperQuotaLock(session, "/gateway/quota-locks", timeout=20)
        await lock.start()
        locks.append(lock)
        quotas = Quotas(Settings(quota_gpus=4), lock)
        quotas.register_usage("deployments", ledger.usage)
        replicas.append(quotas)
    await eventually(lambda: all(lock.connected for lock in locks))
    carol = Identity(subject="carol", issuer="https://iam.example.org/")
    try:
        admitted = await race(replicas, ledger, carol, attempts)
    finally:
        for quotas in replicas:
            await quotas.lock.stop()
        for session in sessions:
            await session.stop()
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


async def _hold_without_zookeeper() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    session = ZooKeeperLeaderSource(parse_ensemble(f"127.0.0.1:{port}"), {})
    await session.start()  # does not wait: the gateway starts while ZooKeeper is down
    lock = ZooKeeperQuotaLock(session, "/gateway/quota-locks")
    try:
        async with lock.hold("someone"):
            return "admitted"
    except UpstreamUnavailable as exc:
        return exc.detail
    finally:
        await lock.stop()
        await session.stop()


def test_a_replica_holds_one_zookeeper_session_for_discovery_and_quota_locks(zookeeper):
    from gateway.app import _quota_lock

    async def sessions() -> tuple[object, object]:
        settings = Settings(zk_hosts=zookeeper.hosts)
        source = ZooKeeperLeaderSource(parse_ensemble(zookeeper.hosts), {})
        await source.start()
        try:
            lock = _quota_lock(settings, source)
            assert isinstance(lock, ZooKeeperQuotaLock)
            await eventually(lambda: lock.connected)
            async with lock.hold("dave"):
                pass
            return lock._session.kazoo, source.kazoo
        finally:
            await source.stop()

    lock_client, discovery_client = asyncio.run(sessions())
    assert lock_client is discovery_client


def test_without_zookeeper_creations_are_refused_for_now_rather_than_unchecked():
    assert asyncio.run(_hold_without_zookeeper()) == (
        "ZooKeeper is not reachable, so quotas cannot be checked; try again shortly.")
