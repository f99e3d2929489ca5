"""A leader that crashes stays named in ZooKeeper until its session expires. Meanwhile its port
refuses connections; reads wait for the next leader instead of failing, and a submission whose
connection was refused goes to the next leader exactly once. Through the gateway, a create
whose answer the crash took is settled with the next leader: the user gets the one app.

The first test plays it with small HTTP stand-ins whose latch nodes belong to sessions the test
expires (it also checks that reads were waiting exactly while ZooKeeper named the dead leader);
the second crashes the simulated Marathon leader under the gateway's HTTP API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from kazoo.client import KazooClient

from gateway.discovery.election import Election
from gateway.discovery.source import Leader
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from gateway.ensemble import parse_ensemble
from tests.support.contenders import Contender
from tests.support.failover import client_failover, gateway_failover
from tests.support.gateway_over_sim import GatewayOverSim, gateway_over_sim
from tests.support.stand_in import StandIn
from tests.support.waiting import eventually
from tests.support.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SESSION_SECONDS = 1.5  # how long ZooKeeper keeps naming the crashed leader


@pytest.fixture
async def stand_ins() -> AsyncIterator[list[StandIn]]:
    made = [StandIn(), StandIn()]
    for stand_in in made:
        await stand_in.start()
    yield made
    for stand_in in made:
        await stand_in.crash()


@pytest.fixture
async def gateway(zk_hosts: str) -> AsyncIterator[GatewayOverSim]:
    async with gateway_over_sim(zk_hosts) as running:
        yield running


def expire_after(hosts: str, client: KazooClient, seconds: float) -> None:
    time.sleep(seconds)
    twin = KazooClient(hosts=hosts, client_id=client.client_id)
    twin.start(timeout=10)
    twin.stop()
    twin.close()


async def test_a_crashed_leader_costs_listings_a_wait_not_an_error(zookeeper: ZooKeeperServer,
                                                                   stand_ins):
    path = f"/crash-{time.monotonic_ns()}/marathon/leader-curator"
    crashed, survivor = Contender(zookeeper.hosts), Contender(zookeeper.hosts)
    crashed.join_latch(path, f"127.0.0.1:{stand_ins[0].port}")
    survivor.join_latch(path, f"127.0.0.1:{stand_ins[1].port}")
    leaders = ZooKeeperLeaderSource(parse_ensemble(zookeeper.hosts),
                                    {"marathon": Election(path, "curator")})
    moments: dict[str, float] = {}

    async def crash(leader: Leader) -> None:
        assert leader.url.endswith(str(stand_ins[0].port))
        moments["crashed"] = time.monotonic()
        await stand_ins[0].crash()
        # ZooKeeper notices only when the crashed process' session times out.
        await asyncio.to_thread(expire_after, zookeeper.hosts, crashed.client, SESSION_SECONDS)
        moments["noticed"] = time.monotonic()

    await leaders.start()
    try:
        failover = await client_failover(leaders, "marathon", crash,
                                         leader_wait=SESSION_SECONDS + 3, warm_up=0.3)
    finally:
        await leaders.stop()
        crashed.die()
        survivor.die()

    following, traffic, noticed = failover.following, failover.traffic, moments["noticed"]
    assert following is not None and following.url.endswith(str(stand_ins[1].port))
    assert following.known_since - noticed < 1.0
    waited = [o for o in traffic.reads if o.started < noticed < o.finished]
    assert waited, "some listings were in flight while ZooKeeper still named the dead leader"
    assert traffic.failed_reads() == []
    assert traffic.failed_writes() == []
    assert max(failover.transport.reached.values()) == 1
    assert stand_ins[0].posts + stand_ins[1].posts == len(traffic.writes)
    assert noticed - moments["crashed"] >= SESSION_SECONDS


async def test_a_crashed_marathon_leader_fails_no_listing_and_deploys_nothing_twice(gateway):
    await gateway.ready()
    sim = gateway.sim
    leader = await sim.wait_for_marathon_leader()
    caught: list[str] = []

    async def crash(index: int) -> None:
        # Every run plays the hardest moment, not only the runs where traffic happens to meet
        # it: Marathon has made the app of a create, and the crash takes its answer (held back
        # by the rule). The gateway must settle that create with the next leader.
        crashing = sim.marathons[index]
        held = sim.faults.add({"path": "/v2/apps", "method": "POST", "after": True,
                               "latency": 60.0, "times": 1})

        def made_and_unanswered() -> str | None:
            made = [key for key in gateway.transport.in_flight if key in crashing.scheduler.apps]
            return made[0] if held.times == 0 and made else None

        caught.append(await eventually(made_and_unanswered, 10, interval=0.01))
        await sim.crash_marathon(index, session_timeout=SESSION_SECONDS)

    failover = await gateway_failover(gateway, "marathon", crash, linger=0.5)
    traffic, crashed_at = failover.traffic, failover.killed

    assert failover.leader is leader
    assert failover.used - crashed_at >= SESSION_SECONDS
    assert [o for o in traffic.reads if o.started < crashed_at + SESSION_SECONDS < o.finished]
    assert [o.detail for o in traffic.failed_reads()] == []
    assert [o.detail for o in traffic.failed_writes()] == []
    [unanswered] = caught
    assert unanswered in failover.standby.scheduler.apps
    # Marathon's own account: every submission is one app, none lost and none made twice.
    assert sorted(await gateway.deployment_descriptions()) == sorted(traffic.submitted)
    listed = await gateway.users.get("/v1/deployments", headers=gateway.as_user())
    descriptions = [item["description"] for item in listed.json()["items"]]
    assert sorted(descriptions) == sorted(traffic.submitted)


async def test_a_crashed_chronos_leader_fails_no_job_submission_and_stores_each_once(zk_hosts):
    # A submission of a name replaces (and would re-arm a run-now job), so the gateway reads
    # the job whose answer the crash took back from the next leader instead of sending it
    # again: it is there, stored once, and the user gets it.
    async with gateway_over_sim(zk_hosts, chronoses=2) as gateway:
        await gateway.ready()
        sim = gateway.sim
        caught: list[str] = []

        async def crash(index: int) -> None:
            crashing = sim.chronoses[index]
            held = sim.faults.add({"path": "/v1/scheduler/iso8601", "method": "POST",
                                   "after": True, "latency": 60.0, "times": 1})

            def stored_and_unanswered() -> str | None:
                stored = [name for name in gateway.transport.in_flight
                          if crashing.scheduler.graph.get(name) is not None]
                return stored[0] if held.times == 0 and stored else None

            caught.append(await eventually(stored_and_unanswered, 10, interval=0.01))
            await crashing.crash(session_timeout=SESSION_SECONDS)

        failover = await gateway_failover(gateway, "chronos", crash, linger=0.5)
        traffic = failover.traffic

        assert [o.detail for o in traffic.failed_reads()] == []
        assert [o.detail for o in traffic.failed_writes()] == []
        [unanswered] = caught
        assert failover.standby.scheduler.graph.get(unanswered) is not None
        assert gateway.transport.reached[unanswered] == 1, "read back, not sent again"
        listed = await gateway.users.get("/v1/jobs", headers=gateway.as_user())
        assert sorted(job["name"] for job in listed.json()["items"]) == sorted(traffic.submitted)
