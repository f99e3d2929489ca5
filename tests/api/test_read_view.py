"""Lists and gets served from the read view: current, read-your-writes, and never stale.

The gateway and the simulated cluster (with fault injection) run in the test's own loop, so the
test can also reach behind the gateway: change apps directly in Marathon, cut its event stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.gateway_stack import fast_health_checks
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio


@dataclass
class Cluster:
    stack: DevStack
    gateway: httpx.AsyncClient
    marathon: httpx.AsyncClient
    tokens: dict[str, str]

    def as_user(self, user: str = "alice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def view(self) -> dict[str, Any]:
        return dict((await self.gateway.get("/readyz")).json()["read_view"])

    async def view_is(self, state: str) -> None:
        async def reached() -> bool:
            return (await self.view())["state"] == state
        await eventually(reached)

    async def deploy(self, description: str = "", user: str = "alice") -> str:
        response = await self.gateway.post(
            "/v1/deployments", headers=self.as_user(user),
            json={"image": "deephdc/deep-oc-image-classification-tf:cpu",
                  "description": description,
                  "hardware": {"cpus": 0.1, "memory": 128, "disk": 0, "gpus": 0}})
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def listed(self, user: str = "alice") -> dict[str, dict[str, Any]]:
        response = await self.gateway.get("/v1/deployments", headers=self.as_user(user))
        assert response.status_code == 200, response.text
        return {item["id"]: item for item in response.json()["items"]}

    async def get(self, deployment_id: str, user: str = "alice") -> httpx.Response:
        return await self.gateway.get(f"/v1/deployments/{deployment_id}",
                                      headers=self.as_user(user))

    async def edit_in_marathon(self, deployment_id: str, description: str) -> None:
        path = f"/v2/apps/gateway/{deployment_id}"
        labels = (await self.marathon.get(path)).json()["app"]["labels"]
        labels["gateway.description"] = description
        answer = await self.marathon.put(path, params={"force": "true"}, json={"labels": labels})
        assert answer.status_code == 200, answer.text

    async def cut_event_stream(self) -> None:
        """Every open /v2/events stream ends, and new ones are refused until faults clear."""
        await self.marathon.post("/__sim__/faults", json={"path": "/v2/events", "status": 503})
        for instance in self.stack.sim.marathons:
            instance.events.close_all()


@pytest.fixture
async def cluster(tmp_path) -> AsyncIterator[Cluster]:
    sim_config = SimConfig(agents=2, agent_cpus=8.0, agent_mem=32768, agent_disk=102400,
                           agent_gpus=0, faults=True)
    stack = DevStack(sim_config=sim_config, job_specs_dir=fast_health_checks(tmp_path))
    async with stack as info, \
            httpx.AsyncClient(base_url=info.gateway_url, timeout=10) as gateway, \
            httpx.AsyncClient(base_url=info.marathon_url, timeout=10) as marathon:
        running = Cluster(stack, gateway, marathon, info.tokens)
        await running.view_is("live")
        yield running


async def test_the_next_read_after_a_create_restart_or_delete_shows_it(cluster):
    # Marathon answers reads of single apps slowly, so what events make the view re-read
    # arrives well after the gateway's answer: the next read must not depend on them.
    await cluster.marathon.post("/__sim__/faults", json={
        "path": "/v2/apps/gateway/", "method": "GET", "latency": 1.5})
    created = await cluster.deploy("fresh")
    listed = await cluster.listed()
    assert created in listed and listed[created]["description"] == "fresh"
    assert (await cluster.get(created)).status_code == 200

    restarted = await cluster.gateway.post(f"/v1/deployments/{created}/restart",
                                           headers=cluster.as_user())
    assert restarted.status_code == 202, restarted.text
    assert (await cluster.listed())[created]["status"] == restarted.json()["status"]

    deleted = await cluster.gateway.delete(f"/v1/deployments/{created}",
                                           headers=cluster.as_user())
    assert deleted.status_code == 204
    assert created not in await cluster.listed()
    assert (await cluster.get(created)).status_code == 404
    assert (await cluster.view())["state"] == "live"


async def test_a_live_view_answers_lists_and_gets_without_asking_marathon(cluster):
    created = await cluster.deploy()

    async def running() -> bool:
        return (await cluster.listed())[created]["status"] == "running"
    await eventually(running, timeout=20)
    for path in ("/v2/apps", "/v2/queue"):
        await cluster.marathon.post("/__sim__/faults", json={"path": path, "status": 500})
    try:
        assert created in await cluster.listed()
        assert (await cluster.get(created)).json()["status"] == "running"
    finally:
        await cluster.marathon.delete("/__sim__/faults")


async def test_an_app_edited_or_deleted_in_marathon_behind_the_gateways_back_shows(cluster):
    created = await cluster.deploy("as deployed")
    await cluster.edit_in_marathon(created, "edited in Marathon")

    async def edited() -> bool:
        return (await cluster.listed())[created]["description"] == "edited in Marathon"
    await eventually(edited)

    answer = await cluster.marathon.delete(f"/v2/apps/gateway/{created}")
    assert answer.status_code == 200

    async def gone() -> bool:
        return created not in await cluster.listed()
    await eventually(gone)
    assert (await cluster.get(created)).status_code == 404
    assert (await cluster.view())["state"] == "live"


async def test_events_missed_while_the_stream_was_cut_are_caught_up_before_the_view_serves(
        cluster):
    kept, removed = await cluster.deploy("kept"), await cluster.deploy("removed")
    await cluster.cut_event_stream()
    await cluster.view_is("fallback")
    # Changes nobody hears about: the stream is down.
    await cluster.edit_in_marathon(kept, "edited while cut")
    assert (await cluster.marathon.delete(f"/v2/apps/gateway/{removed}")).status_code == 200

    await cluster.marathon.delete("/__sim__/faults")
    await cluster.view_is("live")
    listed = await cluster.listed()
    assert removed not in listed
    assert listed[kept]["description"] == "edited while cut"
    assert (await cluster.get(removed)).status_code == 404


async def test_while_the_stream_is_down_reads_go_to_marathon_and_readyz_says_so(cluster):
    await cluster.cut_event_stream()
    await cluster.view_is("fallback")
    ready = await cluster.gateway.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["degraded"] is True
    assert "Reads go to Marathon" in ready.json()["detail"]

    # Served by asking Marathon: a change made there shows at once.
    created = await cluster.deploy("made while the stream is down")
    await cluster.edit_in_marathon(created, "edited in Marathon")
    assert (await cluster.listed())[created]["description"] == "edited in Marathon"

    await cluster.marathon.delete("/__sim__/faults")
    await cluster.view_is("live")
    assert (await cluster.gateway.get("/readyz")).json()["degraded"] is False


async def test_a_list_carries_an_etag_that_answers_304_until_the_list_changes(cluster):
    first = await cluster.gateway.get("/v1/deployments", headers=cluster.as_user())
    etag = first.headers["etag"]
    again = await cluster.gateway.get("/v1/deployments",
                                      headers={**cluster.as_user(), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    await cluster.deploy()
    changed = await cluster.gateway.get("/v1/deployments",
                                        headers={**cluster.as_user(), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(changed.json()["items"]) == 1


async def test_a_rendered_list_is_handed_only_to_callers_allowed_to_see_it(cluster):
    created = await cluster.deploy()
    for user in ("alice", "admin"):  # rendered and kept: alice's list, and everyone's
        await cluster.listed(user)
    everyone = await cluster.gateway.get("/v1/deployments?all=true", headers=cluster.as_user())
    assert (await cluster.gateway.get("/v1/deployments?all=true",
                                      headers=cluster.as_user("admin"))).status_code == 200

    assert everyone.status_code == 403
    assert created not in await cluster.listed("bob")
    in_url = await cluster.gateway.get(
        f"/v1/deployments?access_token={cluster.tokens['alice']}")
    assert in_url.status_code == 400
    twice = await cluster.gateway.get("/v1/deployments", headers=[
        ("Authorization", f"Bearer {cluster.tokens['alice']}"),
        ("Authorization", f"Bearer {cluster.tokens['bob']}")])
    assert twice.status_code == 400
    stranger = await cluster.gateway.get("/v1/deployments",
                                         headers={"Authorization": "Bearer not-a-token"})
    assert stranger.status_code == 401


async def test_lists_answered_from_rendered_bytes_are_counted_in_the_metrics(cluster):
    for _ in range(3):
        assert (await cluster.gateway.get("/v1/deployments",
                                          headers=cluster.as_user())).status_code == 200
    metrics = (await cluster.gateway.get("/metrics")).text
    counted = [line for line in metrics.splitlines() if line.startswith(
        'gateway_http_requests_total{method="GET",route="/v1/deployments",status="200"}')]
    assert counted and float(counted[0].rsplit(" ", 1)[1]) >= 3
