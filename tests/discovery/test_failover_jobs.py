"""Killing the Chronos leader while users keep listing and submitting jobs through the gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.support.failover_traffic import drive
from tests.support.gateway_over_sim import GatewayOverSim, gateway_over_sim

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def gateway(zk_hosts: str) -> AsyncIterator[GatewayOverSim]:
    async with gateway_over_sim(zk_hosts, marathons=1, chronoses=2) as running:
        yield running


async def test_killing_the_chronos_leader_fails_no_listing_and_loses_no_job(gateway):
    status = await gateway.ready()
    leader = next(c for c in gateway.sim.chronoses if c.is_leader)
    assert status["leaders"]["chronos"]["url"] == leader.url
    standby = next(c for c in gateway.sim.chronoses if c is not leader)

    stop = asyncio.Event()
    traffic_task = asyncio.create_task(drive(
        read=lambda: gateway.users.get("/v1/jobs", headers=gateway.as_user()),
        write=lambda name: gateway.users.send(gateway.submit_job(name)), stop=stop,
        write_pause=0.1))
    await asyncio.sleep(1.0)
    killed = time.monotonic()
    await gateway.sim.kill_chronos(gateway.sim.chronoses.index(leader))
    while gateway.transport.first_answer_from(standby.url, killed) is None:
        assert time.monotonic() - killed < 10, "the gateway never used the new leader"
        await asyncio.sleep(0.05)
    used = gateway.transport.first_answer_from(standby.url, killed)
    await asyncio.sleep(1.0)
    stop.set()
    traffic = await traffic_task

    assert used is not None and used - killed < 1.0
    assert len(traffic.reads) > 20
    assert [o.detail for o in traffic.failed_reads()] == []
    # Creating a Chronos job by name is an upsert, so the client may repeat it: none may fail.
    assert [o.detail for o in traffic.failed_writes()] == []
    listed = await gateway.users.get("/v1/jobs", headers=gateway.as_user())
    names = {item["name"] for item in listed.json()["items"]}
    assert set(traffic.submitted) <= names
    after = await gateway.ready()
    assert after["leaders"]["chronos"]["url"] == standby.url
