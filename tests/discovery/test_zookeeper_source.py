"""The ZooKeeper leader source against a real ZooKeeper, with nodes made as the schedulers make them."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from kazoo.client import KazooClient

from gateway.discovery.election import Election
from gateway.discovery.source import Leader, Scheduler
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from gateway.ensemble import parse_ensemble
from tests.support.contenders import Contender, master_info
from tests.support.waiting import eventually
from tests.support.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

ELECTIONS: dict[Scheduler, Election] = {
    "mesos": Election("/mesos", "mesos"),
    "marathon": Election("/marathon/leader-curator", "curator"),
    "chronos": Election("/chronos/state/candidate", "curator"),
}


@pytest.fixture
def chroot() -> str:
    # Each test gets its own corner of the shared server, which also exercises the chroot.
    return f"/t-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def contenders(zookeeper: ZooKeeperServer) -> Iterator[Callable[[], Contender]]:
    made: list[Contender] = []

    def make() -> Contender:
        made.append(Contender(zookeeper.hosts))
        return made[-1]

    yield make
    for contender in made:
        contender.die()


class Sessions:
    """Remembers the kazoo clients the source makes, so a test can expire their sessions."""

    def __init__(self) -> None:
        self.clients: list[KazooClient] = []

    def __call__(self, **kwargs: Any) -> KazooClient:
        self.clients.append(KazooClient(**kwargs))
        return self.clients[-1]


@pytest.fixture
async def sessions() -> Sessions:
    return Sessions()


@pytest.fixture
async def source(zookeeper: ZooKeeperServer, chroot: str,
                 sessions: Sessions) -> AsyncIterator[ZooKeeperLeaderSource]:
    leaders = ZooKeeperLeaderSource(parse_ensemble(f"zk://{zookeeper.hosts}{chroot}"), ELECTIONS,
                                    session_timeout=1.0, client_factory=sessions)
    await leaders.start()
    yield leaders
    await leaders.stop()


async def next_leader(source: ZooKeeperLeaderSource, scheduler: Scheduler,
                      previous: Leader | None = None, timeout: float = 5.0) -> Leader:
    leader = await source.wait_for_change(scheduler, previous, timeout)
    assert leader is not None, source.status()
    return leader


async def test_the_leaders_of_all_three_schedulers_are_found_under_a_chroot(source, chroot, contenders):
    standby, leader = contenders(), contenders()
    leader.join_masters(f"{chroot}/mesos", master_info("127.0.0.1", 5050))
    standby.join_masters(f"{chroot}/mesos", master_info("127.0.0.2", 5050))
    leader.join_latch(f"{chroot}/marathon/leader-curator", "marathon-1:8080")
    standby.join_latch(f"{chroot}/marathon/leader-curator", "marathon-2:8080")
    leader.join_latch(f"{chroot}/chronos/state/candidate", "chronos-1:4400")

    assert (await next_leader(source, "mesos")).url == "http://127.0.0.1:5050"
    assert (await next_leader(source, "marathon")).url == "http://marathon-1:8080"
    assert (await next_leader(source, "chronos")).url == "http://chronos-1:4400"
    status = source.status()
    assert status["zookeeper"]["state"] == "connected"
    assert status["leaders"]["marathon"]["path"] == f"{chroot}/marathon/leader-curator"


async def test_when_the_leader_dies_the_next_contender_is_used_within_a_second(source, chroot,
                                                                               contenders):
    first, second = contenders(), contenders()
    first.join_latch(f"{chroot}/marathon/leader-curator", "marathon-1:8080")
    second.join_latch(f"{chroot}/marathon/leader-curator", "marathon-2:8080")
    old = await next_leader(source, "marathon")

    died = time.monotonic()
    first.die()
    new = await next_leader(source, "marathon", old, timeout=1.0)

    assert new.url == "http://marathon-2:8080"
    assert new.known_since - died < 1.0
    assert source.leader_changes["marathon"] == 2  # the first leader found, then its successor


async def test_when_the_leading_mesos_master_dies_the_next_oldest_one_leads(source, chroot,
                                                                            contenders):
    first, second, third = contenders(), contenders(), contenders()
    first.join_masters(f"{chroot}/mesos", master_info("127.0.0.1", 5050))
    second.join_masters(f"{chroot}/mesos", master_info("127.0.0.2", 5050))
    third.join_masters(f"{chroot}/mesos", master_info("127.0.0.3", 5050))
    third.client.create(f"{chroot}/mesos/log_replicas", b"", makepath=True)
    old = await next_leader(source, "mesos")
    assert old.url == "http://127.0.0.1:5050"

    first.die()
    assert (await next_leader(source, "mesos", old)).url == "http://127.0.0.2:5050"


async def test_an_election_path_created_after_start_is_followed(source, chroot, contenders):
    await eventually(lambda: "does not exist" in source.status()["leaders"]["chronos"]["problem"])
    assert source.leader("chronos") is None
    contenders().join_latch(f"{chroot}/chronos/state/candidate", "chronos-1:4400")
    assert (await next_leader(source, "chronos", timeout=2.0)).url == "http://chronos-1:4400"


async def test_a_deleted_and_recreated_election_path_is_still_followed(source, chroot, contenders):
    path = f"{chroot}/chronos/state/candidate"
    one = contenders()
    one.join_latch(path, "chronos-1:4400")
    old = await next_leader(source, "chronos")

    one.die()
    admin = contenders()
    admin.client.delete(path, recursive=True)
    await eventually(lambda: source.leader("chronos") is None)
    admin.join_latch(path, "chronos-2:4400")

    assert (await next_leader(source, "chronos", old)).url == "http://chronos-2:4400"


async def test_a_leader_whose_data_is_unreadable_is_reported_not_guessed(source, chroot, contenders):
    bad, good = contenders(), contenders()
    bad.join_latch(f"{chroot}/marathon/leader-curator", "http://not-host-port")
    good.join_latch(f"{chroot}/marathon/leader-curator", "marathon-2:8080")
    await eventually(lambda: "unreadable" in source.status()["leaders"]["marathon"].get("problem", ""))
    assert source.leader("marathon") is None

    bad.die()
    assert (await next_leader(source, "marathon")).url == "http://marathon-2:8080"


async def test_waiting_for_a_change_that_does_not_come_ends_with_none(source, chroot, contenders):
    contenders().join_latch(f"{chroot}/marathon/leader-curator", "marathon-1:8080")
    current = await next_leader(source, "marathon")
    started = time.monotonic()
    assert await source.wait_for_change("marathon", current, 0.3) is None
    assert 0.25 < time.monotonic() - started < 1.0


async def test_marathon_before_1_5_is_followed_through_its_group_members(zookeeper, chroot, contenders):
    elections = {"marathon": Election("/marathon/leader", "twitter-commons")}
    leaders = ZooKeeperLeaderSource(parse_ensemble(zookeeper.hosts + chroot), elections)
    await leaders.start()
    try:
        old, new = contenders(), contenders()
        old.join_group(f"{chroot}/marathon/leader", "marathon-old:8080")
        new.join_group(f"{chroot}/marathon/leader", "marathon-new:8080")
        first = await next_leader(leaders, "marathon")
        assert first.url == "http://marathon-old:8080"
        old.die()
        assert (await next_leader(leaders, "marathon", first)).url == "http://marathon-new:8080"
    finally:
        await leaders.stop()


async def test_a_gateway_started_while_zookeeper_is_unreachable_is_not_blocked():
    elections = {"marathon": ELECTIONS["marathon"]}
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    leaders = ZooKeeperLeaderSource(parse_ensemble(f"127.0.0.1:{port}"), elections)
    started = time.monotonic()
    await leaders.start()
    try:
        assert time.monotonic() - started < 0.5
        assert leaders.leader("marathon") is None
        assert leaders.status()["zookeeper"]["state"] == "connecting"
    finally:
        await leaders.stop()


def expire(hosts: str, client: KazooClient) -> None:
    # ZooKeeper ends a session when any connection holding its id and password closes it.
    twin = KazooClient(hosts=hosts, client_id=client.client_id)
    twin.start(timeout=10)
    twin.stop()
    twin.close()


async def test_an_expired_session_is_replaced_and_its_watches_come_back(source, sessions, zookeeper,
                                                                      chroot, contenders):
    path = f"{chroot}/marathon/leader-curator"
    first = contenders()
    first.join_latch(path, "marathon-1:8080")
    old = await next_leader(source, "marathon")
    states: list[str] = []
    sessions.clients[0].add_listener(states.append)

    expire(zookeeper.hosts, sessions.clients[0])
    # A failover around the expiry: the old session's watches are gone, so only the re-read on
    # reconnecting, and the watches it sets again, can see it.
    first.die()
    contenders().join_latch(path, "marathon-2:8080")
    new = await next_leader(source, "marathon", old)
    assert new.url == "http://marathon-2:8080"
    assert "LOST" in states
    await eventually(lambda: source.status()["zookeeper"]["state"] == "connected")

    third = contenders()
    third.join_latch(path, "marathon-3:8080")
    contenders().client.delete(f"{path}/" + source.snapshot.nodes["marathon"])
    assert (await next_leader(source, "marathon", new)).url == "http://marathon-3:8080"


async def test_while_zookeeper_is_down_the_last_leaders_are_kept_and_said_to_be_stale(own_zookeeper):
    contender = Contender(own_zookeeper.hosts)
    leaders = ZooKeeperLeaderSource(parse_ensemble(own_zookeeper.hosts), ELECTIONS,
                                    session_timeout=4.0)
    await leaders.start()
    try:
        contender.join_latch("/marathon/leader-curator", "marathon-1:8080")
        known = await next_leader(leaders, "marathon")

        own_zookeeper.stop()
        await eventually(lambda: leaders.status()["zookeeper"]["state"] != "connected")
        status = leaders.status()
        assert leaders.leader("marathon") == known
        assert status["stale"] is True
        assert "last known leaders" in status["detail"]

        own_zookeeper.start()
        await eventually(lambda: leaders.status()["zookeeper"]["state"] == "connected", timeout=15)
        assert leaders.leader("marathon") == known, "the same leader keeps its known-since time"
        # Watches survived the outage: a failover afterwards is still followed. (The contender
        # plays a scheduler with its own session, which may reconnect later than ours.)
        await eventually(lambda: contender.client.connected, timeout=15)
        contender.join_latch("/marathon/leader-curator", "marathon-2:8080")
        contender.client.delete("/marathon/leader-curator/" + leaders.snapshot.nodes["marathon"])
        assert (await next_leader(leaders, "marathon", known)).url == "http://marathon-2:8080"
    finally:
        await leaders.stop()
        contender.die()
