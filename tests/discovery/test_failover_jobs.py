"""Killing the Chronos leader while users keep listing and submitting jobs through the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.failover import gateway_failover
from tests.support.gateway_over_sim import GatewayOverSim, gateway_over_sim

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
async def gateway(zk_hosts: str) -> AsyncIterator[GatewayOverSim]:
    async with gateway_over_sim(zk_hosts, marathons=1, chronoses=2) as running:
        yield running


async def test_killing_the_chronos_leader_fails_no_listing_and_loses_no_job(gateway):
    status = await gateway.ready()
    leader = next(c for c in gateway.sim.chronoses if c.is_leader)
    assert status["leaders"]["chronos"]["url"] == leader.url

    failover = await gateway_failover(gateway, "chronos", timeout=10)
    traffic = failover.traffic

    assert failover.leader is leader
    assert failover.used - failover.killed < 1.0
    assert len(traffic.reads) > 20
    assert [o.detail for o in traffic.failed_reads()] == []
    # Creating a Chronos job by name is an upsert, so the client may repeat it: none may fail.
    assert [o.detail for o in traffic.failed_writes()] == []
    listed = await gateway.users.get("/v1/jobs", headers=gateway.as_user())
    names = {item["name"] for item in listed.json()["items"]}
    assert set(traffic.submitted) <= names
    after = await gateway.ready()
    assert after["leaders"]["chronos"]["url"] == failover.standby.url
