"""Killing the Marathon leader while users keep listing and deploying through the gateway's API.

The whole path is real except the schedulers: a real ZooKeeper, the simulated cluster with two
Marathon instances contending in it, the development token issuer, and the gateway over HTTP
with discovery through ZooKeeper.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.discovery.tcp_relay import TcpRelay
from tests.support.failover import gateway_failover
from tests.support.gateway_over_sim import GatewayOverSim, gateway_over_sim
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
async def gateway(zk_hosts: str) -> AsyncIterator[GatewayOverSim]:
    async with gateway_over_sim(zk_hosts) as running:
        yield running


async def test_killing_the_marathon_leader_fails_no_listing_and_deploys_nothing_twice(gateway):
    status = await gateway.ready()
    leader = await gateway.sim.wait_for_marathon_leader()
    assert status["leaders"]["marathon"]["url"] == leader.url

    failover = await gateway_failover(gateway, "marathon", timeout=10)
    traffic = failover.traffic

    assert failover.leader is leader
    assert failover.used - failover.killed < 1.0
    assert len(traffic.reads) > 20
    assert [o.detail for o in traffic.failed_reads()] == []
    assert [o.detail for o in traffic.failed_writes()] == []
    # Marathon's own account: every submission is one app, none lost and none made twice.
    assert sorted(await gateway.deployment_descriptions()) == sorted(traffic.submitted)
    listed = await gateway.users.get("/v1/deployments", headers=gateway.as_user())
    descriptions = [item["description"] for item in listed.json()["items"]]
    assert sorted(descriptions) == sorted(traffic.submitted)
    after = await gateway.ready()
    assert after["leaders"]["marathon"]["url"] == failover.standby.url


async def test_a_gateway_cut_off_from_zookeeper_keeps_serving_with_the_last_leaders(zk_hosts):
    host, port = zk_hosts.rsplit(":", 1)
    relay = TcpRelay(host, int(port))
    await relay.open()
    async with gateway_over_sim(zk_hosts, marathons=1, gateway_zk_hosts=relay.hosts) as gateway:
        await gateway.ready()
        await relay.cut()

        async def partition_noticed() -> bool:
            readiness = await gateway.users.get("/readyz")
            return bool(readiness.json()["zookeeper"]["state"] != "connected")

        await eventually(partition_noticed, timeout=10, interval=0.1)

        # Reads only: creating needs the quota lock, which lives in ZooKeeper.
        listed = await gateway.users.get("/v1/deployments", headers=gateway.as_user())
        readiness = await gateway.users.get("/readyz")

    assert listed.status_code == 200, listed.text
    assert readiness.status_code == 200
    assert readiness.json()["stale"] is True
    assert "last known leaders" in readiness.json()["detail"]


# The read view follows a leader change: it re-attaches to the new leader's event stream and
# reads everything again before serving, so nothing the old leader's stream missed shows stale.

async def _view(gateway: GatewayOverSim) -> dict:
    return dict((await gateway.users.get("/readyz")).json()["read_view"])


async def _listed(gateway: GatewayOverSim) -> set[str]:
    response = await gateway.users.get("/v1/deployments", headers=gateway.as_user())
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_after_a_leader_change_the_view_follows_the_new_leader_and_misses_nothing(gateway):
    await gateway.ready()

    async def live() -> bool:
        return (await _view(gateway))["state"] == "live"
    await eventually(live, timeout=20)
    kept = (await gateway.users.send(gateway.deploy("kept"))).json()["id"]
    removed = (await gateway.users.send(gateway.deploy("removed"))).json()["id"]
    assert {kept, removed} <= await _listed(gateway)

    old = await gateway.sim.wait_for_marathon_leader()
    await old.step_down()
    new = await gateway.sim.wait_for_marathon_leader()
    assert new is not old
    # A change on the new leader as soon as it leads, before the view may have re-attached.
    async with httpx.AsyncClient(base_url=new.url) as marathon:
        assert (await marathon.delete(f"/v2/apps/gateway/{removed}")).status_code == 200

    async def caught_up() -> bool:
        return (await _view(gateway))["state"] == "live" and removed not in await _listed(gateway)
    await eventually(caught_up, timeout=20)
    assert kept in await _listed(gateway)
    status = (await gateway.users.get("/readyz")).json()
    assert status["leaders"]["marathon"]["url"] == new.url
