"""Killing the Chronos leader while clients keep listing and submitting: nobody notices.

Two simulated Chronos instances contend in a real ZooKeeper, as Chronos 3 does; the gateway
follows them with its ZooKeeper leader source and reaches them through its upstream client.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.discovery.election import Election
from gateway.discovery.source import Leader
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from gateway.ensemble import parse_ensemble
from simcluster.chronos.instance import ChronosInstance
from simcluster.chronos.options import ChronosOptions
from simcluster.clock import SimClock
from simcluster.mesos import AgentSpec, MesosMaster
from tests.support.failover import chronos_job, client_failover
from tests.support.waiting import eventually
from tests.support.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
async def chronos_pair(zookeeper: ZooKeeperServer, tmp_path) -> AsyncIterator[list[ChronosInstance]]:
    clock = SimClock()
    master = MesosMaster([AgentSpec(8.0, 32768.0, 102400.0, 0, (31000, 31100))], clock=clock,
                         workdir=tmp_path)
    await master.start()
    options = ChronosOptions(zk_path=f"/t-{uuid.uuid4().hex[:8]}/chronos/state")
    instances = []
    try:
        for _ in range(2):
            instance = ChronosInstance(master, clock, options=options, zk_hosts=zookeeper.hosts)
            await instance.start()
            instances.append(instance)
        yield instances
    finally:
        for instance in instances:
            await instance.stop()
        await master.stop()


async def test_killing_the_chronos_leader_fails_no_listing_and_repeats_no_submission(
        zookeeper, chronos_pair):
    path = chronos_pair[0].options.zk_path + "/candidate"
    leaders = ZooKeeperLeaderSource(parse_ensemble(zookeeper.hosts),
                                    {"chronos": Election(path, "curator")})

    async def kill(first: Leader) -> None:
        await next(i for i in chronos_pair if i.url == first.url).kill()

    await leaders.start()
    try:
        failover = await client_failover(leaders, "chronos", kill, leader_wait=5.0, linger=1.0)
    finally:
        await leaders.stop()
    standby = next(i for i in chronos_pair if i.url != failover.first.url)
    following, traffic = failover.following, failover.traffic
    # Chronos' main loop reloads every job from ZooKeeper on each pass, and a create wakes it:
    # a job the old leader stored as it died shows up once the new leader has loaded after it.
    # One more create, then wait for it to be listed.
    marker = f"after-failover-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=standby.url) as http:
        created = await http.post("/v1/scheduler/iso8601", json=chronos_job(marker))
        assert created.status_code == 204

        async def listed_with_marker() -> set[str]:
            names = {j["name"] for j in (await http.get("/v1/scheduler/jobs")).json()}
            return names if marker in names else set()

        jobs = await eventually(listed_with_marker, timeout=10, interval=0.1)

    assert following is not None and following.url == standby.url
    assert following.known_since - failover.killed < 1.0
    assert traffic.first_success_started_after(following.known_since) is not None
    assert len(traffic.reads) > 20
    assert traffic.failed_reads() == []
    assert max(failover.transport.reached.values()) == 1, "a submission reached Chronos twice"
    accepted = [name for name, outcome in zip(traffic.submitted, traffic.writes, strict=False)
                if outcome.ok]
    assert set(accepted) <= jobs
