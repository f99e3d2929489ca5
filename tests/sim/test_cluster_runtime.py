"""Resources, real task endpoints, health, sandboxes and events of the simulated cluster."""

from __future__ import annotations

import json

import httpx
import pytest

from simcluster import SimCluster
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

GPU_APP = {"cmd": "serve", "cpus": 1, "mem": 256, "gpus": 1,
           "container": {"type": "MESOS", "docker": {"image": "deephdc/deep-oc-demo:gpu"}}}


async def _app(marathon: httpx.AsyncClient, app_id: str) -> dict:
    return (await marathon.get(f"/v2/apps{app_id}")).json()["app"]


async def test_an_app_waits_for_a_gpu_with_insufficient_gpus_and_starts_when_one_is_freed(
    marathon: httpx.AsyncClient,
) -> None:
    await marathon.post("/v2/apps", json={"id": "/first", **GPU_APP})

    async def first_running() -> bool:
        return (await _app(marathon, "/first"))["tasksRunning"] == 1

    await eventually(first_running)
    await marathon.post("/v2/apps", json={"id": "/second", **GPU_APP})

    async def second_queued_for_gpus() -> bool:
        queue = (await marathon.get("/v2/queue")).json()["queue"]
        entries = [q for q in queue if q["app"]["id"] == "/second"]
        if not entries:
            return False
        reasons = entries[0]["processedOffersSummary"]["rejectSummaryLastOffers"]
        return any(r["reason"] == "InsufficientGpus" and r["declined"] > 0 for r in reasons)

    await eventually(second_queued_for_gpus)
    assert (await _app(marathon, "/second"))["tasksRunning"] == 0
    detailed = (await marathon.get("/v2/queue", params={"embed": "lastUnusedOffers"})).json()
    (entry,) = [q for q in detailed["queue"] if q["app"]["id"] == "/second"]
    (offer,) = entry["lastUnusedOffers"]
    assert offer["reason"] == ["InsufficientGpus"]
    gpus = next(r for r in offer["offer"]["resources"] if r["name"] == "gpus")
    assert gpus["scalar"] == 0.0
    await marathon.delete("/v2/apps/first")

    async def second_running() -> bool:
        return (await _app(marathon, "/second"))["tasksRunning"] == 1

    await eventually(second_running)
    queue = (await marathon.get("/v2/queue")).json()["queue"]
    assert [q for q in queue if q["app"]["id"] == "/second"] == []


async def test_gpus_are_refused_when_the_feature_is_off() -> None:
    from simcluster import SimConfig

    config = SimConfig(agents=1, marathon_features=(), chronos_instances=0)
    async with SimCluster(config) as cluster, httpx.AsyncClient(
        base_url=str(cluster.marathon_url)
    ) as client:
        response = await client.post("/v2/apps", json={"id": "/g", **GPU_APP})
        assert response.status_code == 422
        assert response.json()["details"] == [{"path": "/", "errors": [
            "Feature gpu_resources is not enabled. Enable with --enable_features gpu_resources)"
        ]}]
        info = (await client.get("/v2/info")).json()
        assert "gpu_resources" not in info["marathon_config"]["features"]


async def test_a_running_task_answers_http_on_its_host_port_and_becomes_healthy(
    sim: SimCluster, marathon: httpx.AsyncClient
) -> None:
    app = {"id": "/healthy", "cmd": "serve", "cpus": 0.1, "mem": 32,
           "portDefinitions": [{"port": 0, "name": "api"}],
           "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/ready", "portIndex": 0,
                             "intervalSeconds": 1, "delaySeconds": 0, "gracePeriodSeconds": 10}]}
    await marathon.post("/v2/apps", json=app)

    async def healthy() -> bool:
        return (await _app(marathon, "/healthy"))["tasksHealthy"] == 1

    await eventually(healthy)
    task = (await _app(marathon, "/healthy"))["tasks"][0]
    assert task["healthCheckResults"][0]["alive"] is True
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://{task['host']}:{task['ports'][0]}/")
    assert answer.status_code == 200
    assert answer.json()["app"] == "/healthy"
    async with httpx.AsyncClient(base_url=sim.mesos_url) as mesos:
        state = (await mesos.get("/master/state")).json()
    mesos_task = state["frameworks"][0]["tasks"][0]
    assert mesos_task["statuses"][-1] == {**mesos_task["statuses"][-1], "state": "TASK_RUNNING",
                                          "healthy": True}


async def test_a_task_told_to_be_unhealthy_is_reported_unhealthy(
    marathon: httpx.AsyncClient,
) -> None:
    app = {"id": "/sick", "cmd": "serve", "cpus": 0.1, "mem": 32, "env": {"SIM_FAIL": "unhealthy"},
           "healthChecks": [{"protocol": "HTTP", "intervalSeconds": 1, "gracePeriodSeconds": 0,
                             "maxConsecutiveFailures": 0}]}
    await marathon.post("/v2/apps", json=app)

    async def unhealthy() -> bool:
        return (await _app(marathon, "/sick"))["tasksUnhealthy"] == 1

    await eventually(unhealthy)
    result = (await _app(marathon, "/sick"))["tasks"][0]["healthCheckResults"][0]
    assert result["alive"] is False
    assert result["lastFailureCause"].startswith("503")


async def test_a_failing_task_is_replaced_and_recorded_as_last_task_failure(
    marathon: httpx.AsyncClient,
) -> None:
    app = {"id": "/crash", "cmd": "serve", "cpus": 0.1, "mem": 32, "backoffSeconds": 0,
           "env": {"SIM_FAIL": "exit:3:0.2"}}
    await marathon.post("/v2/apps", json=app)

    async def failed_once() -> bool:
        return "lastTaskFailure" in await _app(marathon, "/crash")

    await eventually(failed_once)
    failure = (await _app(marathon, "/crash"))["lastTaskFailure"]
    assert failure["state"] == "TASK_FAILED"
    assert failure["message"] == "Command exited with status 3"


async def test_task_stdout_is_readable_through_the_agent_files_api(
    sim: SimCluster, marathon: httpx.AsyncClient
) -> None:
    await marathon.post("/v2/apps", json={"id": "/logs", "cmd": "serve", "cpus": 0.1, "mem": 32})

    async def running() -> bool:
        return (await _app(marathon, "/logs"))["tasksRunning"] == 1

    await eventually(running)
    task_id = (await _app(marathon, "/logs"))["tasks"][0]["id"]
    async with httpx.AsyncClient(base_url=sim.mesos_url) as mesos:
        state = (await mesos.get("/master/state")).json()
        agent = next(a for a in state["slaves"] if a["id"] == state["frameworks"][0]["tasks"][0]["slave_id"])
    async with httpx.AsyncClient(base_url=f"http://{agent['hostname']}:{agent['port']}") as client:
        agent_state = (await client.get("/slave(1)/state")).json()
        executor = next(e for f in agent_state["frameworks"] for e in f["executors"]
                        if e["id"] == task_id)
        stdout = f"{executor['directory']}/stdout"
        size = (await client.get("/files/read", params={"path": stdout, "offset": -1})).json()
        assert size["data"] == "" and size["offset"] > 0
        page = (await client.get("/files/read",
                                 params={"path": stdout, "offset": 0, "length": 4096})).json()
        assert page["offset"] == 0
        assert f"Starting task {task_id}" in page["data"]
        listing = (await client.get("/files/browse", params={"path": executor["directory"]})).json()
        assert {e["path"].rsplit("/", 1)[-1] for e in listing} >= {"stdout", "stderr"}
        missing = await client.get("/files/read", params={"path": "/etc/passwd", "offset": 0})
        assert missing.status_code == 404


async def test_master_state_and_metrics_account_for_running_tasks(
    sim: SimCluster, marathon: httpx.AsyncClient
) -> None:
    await marathon.post("/v2/apps", json={"id": "/count", **GPU_APP})

    async def running() -> bool:
        return (await _app(marathon, "/count"))["tasksRunning"] == 1

    await eventually(running)
    async with httpx.AsyncClient(base_url=sim.mesos_url) as mesos:
        metrics = (await mesos.get("/metrics/snapshot")).json()
        state = (await mesos.get("/master/state")).json()
        redirect = await mesos.get("/master/redirect")
    assert metrics["master/gpus_total"] == 1.0 and metrics["master/gpus_used"] == 1.0
    assert metrics["master/cpus_total"] == 4.0 and metrics["master/cpus_used"] == 1.0
    assert metrics["master/tasks_running"] == 1.0
    framework = state["frameworks"][0]
    assert framework["name"] == "marathon" and "GPU_RESOURCES" in framework["capabilities"]
    assert framework["tasks"][0]["state"] == "TASK_RUNNING"
    assert state["slaves"][0]["used_resources"]["gpus"] == 1.0
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"//127.0.0.1:{sim.master.port}"
    assert "uvicorn" not in redirect.headers.get("server", "")


async def test_the_event_stream_starts_attached_then_reports_status_updates(
    marathon: httpx.AsyncClient,
) -> None:
    frames: list[tuple[str, dict]] = []
    params = [("event_type", "event_stream_attached"), ("event_type", "status_update_event")]
    async with marathon.stream("GET", "/v2/events", params=params,
                               headers={"Accept": "text/event-stream"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                frames.append((event, json.loads(line[len("data: "):])))
                if len(frames) == 1:
                    await marathon.post("/v2/apps", json={"id": "/ev", "cmd": "x",
                                                          "cpus": 0.1, "mem": 16})
                if frames[-1][1].get("taskStatus") == "TASK_RUNNING":
                    break
    assert frames[0][0] == "event_stream_attached"
    kinds = {kind for kind, _ in frames[1:]}
    assert kinds == {"status_update_event"}
    running = frames[-1][1]
    assert running["appId"] == "/ev" and running["eventType"] == "status_update_event"
    assert frames[1][1]["taskStatus"] == "TASK_STAGING"
