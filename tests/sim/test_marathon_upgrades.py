"""Restarts follow the app's upgradeStrategy; unhealthy tasks are killed and replaced."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

ONE_GPU = {"cmd": "serve", "cpus": 0.5, "mem": 64, "gpus": 1,
           "container": {"type": "MESOS", "docker": {"image": "deephdc/demo:gpu"}}}


async def _app(marathon: httpx.AsyncClient, app_id: str) -> dict:
    return (await marathon.get(f"/v2/apps{app_id}")).json()["app"]


async def _deployed(marathon: httpx.AsyncClient) -> None:
    async def no_deployments() -> bool:
        return (await marathon.get("/v2/deployments")).json() == []

    await eventually(no_deployments)


async def _running_ids(marathon: httpx.AsyncClient, app_id: str) -> list[str]:
    tasks = (await _app(marathon, app_id))["tasks"]
    return [t["id"] for t in tasks if t["state"] == "TASK_RUNNING"]


async def test_a_one_gpu_app_with_zero_capacities_restarts_on_the_only_gpu(
    marathon: httpx.AsyncClient,
) -> None:
    strategy = {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}
    await marathon.post("/v2/apps", json={"id": "/solo", **ONE_GPU, "upgradeStrategy": strategy})

    async def one_running() -> bool:
        return len(await _running_ids(marathon, "/solo")) == 1

    await eventually(one_running)
    await _deployed(marathon)
    before = await _running_ids(marathon, "/solo")
    assert (await marathon.post("/v2/apps/solo/restart")).status_code == 200

    async def replaced() -> bool:
        ids = await _running_ids(marathon, "/solo")
        return len(ids) == 1 and ids != before

    await eventually(replaced)
    await _deployed(marathon)


async def test_with_default_capacities_a_restart_waits_for_a_second_gpu_and_keeps_the_old_task(
    marathon: httpx.AsyncClient,
) -> None:
    await marathon.post("/v2/apps", json={"id": "/greedy", **ONE_GPU})

    async def one_running() -> bool:
        return len(await _running_ids(marathon, "/greedy")) == 1

    await eventually(one_running)
    await _deployed(marathon)
    before = await _running_ids(marathon, "/greedy")
    assert (await marathon.post("/v2/apps/greedy/restart")).status_code == 200

    async def queued() -> bool:
        queue = (await marathon.get("/v2/queue")).json()["queue"]
        return any(q["app"]["id"] == "/greedy" for q in queue)

    await eventually(queued)
    await asyncio.sleep(0.5)
    assert await _running_ids(marathon, "/greedy") == before
    deployments = (await marathon.get("/v2/deployments")).json()
    assert [d["affectedApps"] for d in deployments] == [["/greedy"]]
    assert deployments[0]["currentActions"][0]["action"] == "RestartApplication"


async def test_a_task_failing_its_health_checks_is_killed_and_replaced(
    marathon: httpx.AsyncClient,
) -> None:
    app = {"id": "/flaky", "cmd": "serve", "cpus": 0.1, "mem": 32, "backoffSeconds": 0,
           "env": {"SIM_FAIL": "no-listen"},  # the port refuses connections
           "healthChecks": [{"protocol": "MESOS_TCP", "intervalSeconds": 1, "delaySeconds": 0,
                             "gracePeriodSeconds": 0, "maxConsecutiveFailures": 1}]}
    await marathon.post("/v2/apps", json=app)

    async def killed_once() -> bool:
        failure = (await _app(marathon, "/flaky")).get("lastTaskFailure")
        return failure is not None and failure["state"] == "TASK_KILLED"

    await eventually(killed_once)


async def test_put_on_an_unknown_id_creates_the_app_with_201(marathon: httpx.AsyncClient) -> None:
    response = await marathon.put("/v2/apps/made-by-put", json={"cmd": "x", "cpus": 0.1})
    assert response.status_code == 201
    assert (await _app(marathon, "/made-by-put"))["cpus"] == 0.1
    patched = await marathon.patch("/v2/apps/never-there", json={"cpus": 0.2})
    assert patched.status_code == 404


async def test_deleting_a_stuck_deployment_rolls_the_app_back_to_its_previous_version(
    marathon: httpx.AsyncClient,
) -> None:
    await marathon.post("/v2/apps", json={"id": "/rb", "cmd": "serve", "cpus": 0.1, "mem": 16})
    await _deployed(marathon)
    stuck = (await marathon.put("/v2/apps/rb", json={"cpus": 64})).json()  # never fits
    response = await marathon.delete(f"/v2/deployments/{stuck['deploymentId']}")
    assert response.status_code == 200
    assert response.json()["deploymentId"] != stuck["deploymentId"]
    app = await _app(marathon, "/rb")
    assert app["cpus"] == 0.1
    versions = (await marathon.get("/v2/apps/rb/versions")).json()["versions"]
    assert len(versions) == 3
    oldest = (await marathon.get(f"/v2/apps/rb/versions/{versions[-1]}")).json()
    assert oldest["cpus"] == 0.1 and oldest["version"] == versions[-1]
    unknown = await marathon.delete("/v2/deployments/not-a-plan")
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "DeploymentPlan not-a-plan does not exist"}
    await _deployed(marathon)
