"""The read view follows a Marathon leader change: it re-attaches to the new leader's event
stream and reads everything again before serving, so nothing the old leader's stream missed
is shown stale. Real ZooKeeper, two simulated Marathon instances, the gateway over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.discovery.gateway_over_sim import GatewayOverSim, gateway_over_sim
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def gateway(zk_hosts: str) -> AsyncIterator[GatewayOverSim]:
    async with gateway_over_sim(zk_hosts) as running:
        yield running


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
