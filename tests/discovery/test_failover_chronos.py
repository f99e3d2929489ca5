"""Killing the Chronos leader while clients keep listing and submitting: nobody notices.

Two simulated Chronos instances contend in a real ZooKeeper, as Chronos 3 does; the gateway
follows them with its ZooKeeper leader source and reaches them through its upstream client.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.discovery.election import Election
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from gateway.ensemble import parse_ensemble
from gateway.upstreams.chronos import chronos_has_no_leader
from gateway.upstreams.upstream import UpstreamClient
from simcluster.chronos.instance import ChronosInstance
from simcluster.chronos.options import ChronosOptions
from simcluster.clock import SimClock
from simcluster.mesos import AgentSpec, MesosMaster
from tests.discovery.failover_traffic import RecordingTransport, drive
from tests.fixtures.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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


def job(name: str) -> dict[str, object]:
    return {"name": name, "command": "sleep 1", "schedule": "R1/2030-01-01T00:00:00Z/P1D",
            "epsilon": "PT60S", "owner": "ops@example.org", "cpus": 0.1, "mem": 32, "disk": 0}


async def test_killing_the_chronos_leader_fails_no_listing_and_repeats_no_submission(
        zookeeper, chronos_pair):
    path = chronos_pair[0].options.zk_path + "/candidate"
    leaders = ZooKeeperLeaderSource(parse_ensemble(zookeeper.hosts),
                                    {"chronos": Election(path, "curator")})
    transport = RecordingTransport()
    await leaders.start()
    try:
        async with httpx.AsyncClient(transport=transport) as http:
            client = UpstreamClient("chronos", http, leaders, no_leader=chronos_has_no_leader,
                                    leader_wait=5.0)
            first = await leaders.wait_for_change("chronos", None, 5.0)
            assert first is not None
            leader = next(i for i in chronos_pair if i.url == first.url)
            standby = next(i for i in chronos_pair if i is not leader)

            stop = asyncio.Event()
            traffic_task = asyncio.create_task(drive(
                read=lambda: client.request("GET", "/v1/scheduler/jobs", idempotent=True),
                write=lambda name: client.request("POST", "/v1/scheduler/iso8601", json=job(name),
                                                idempotent=False),
                stop=stop))
            await asyncio.sleep(0.5)
            killed = time.monotonic()
            await leader.kill()
            following = await leaders.wait_for_change("chronos", first, 5.0)
            await asyncio.sleep(1.0)
            stop.set()
            traffic = await traffic_task
            # Chronos' main loop reloads every job from ZooKeeper on each pass, and a create
            # wakes it: a job the old leader stored as it died shows up once the new leader
            # has loaded after it. One more create, then wait for it to be listed.
            marker = f"after-failover-{uuid.uuid4().hex[:6]}"
            created = await http.post(f"{standby.url}/v1/scheduler/iso8601", json=job(marker))
            assert created.status_code == 204
            listed_names: set[str] = set()
            deadline = time.monotonic() + 10
            while marker not in listed_names and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                listed = await http.get(f"{standby.url}/v1/scheduler/jobs")
                listed_names = {j["name"] for j in listed.json()}
    finally:
        await leaders.stop()

    assert following is not None and following.url == standby.url
    assert following.known_since - killed < 1.0
    assert traffic.first_success_started_after(following.known_since) is not None
    assert len(traffic.reads) > 20
    assert traffic.failed_reads() == []
    assert max(transport.reached.values()) == 1, "a submission reached Chronos twice"
    jobs = listed_names
    assert marker in jobs
    accepted = [name for name, outcome in zip(traffic.submitted, traffic.writes, strict=False)
                if outcome.ok]
    assert set(accepted) <= jobs
