"""Creating, listing and changing apps: what Marathon fills in and writes back."""

from __future__ import annotations

import httpx
import pytest

from simcluster import SimCluster
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio


def small(app_id: str, **extra: object) -> dict[str, object]:
    return {"id": app_id, "cmd": "python -m http.server $PORT0", "cpus": 0.1, "mem": 32, **extra}


async def test_creating_an_app_answers_201_with_location_deployment_id_and_defaults(
    marathon: httpx.AsyncClient,
) -> None:
    response = await marathon.post("/v2/apps", json={"id": "ml/api", "cmd": "serve"})
    assert response.status_code == 201
    assert response.headers["Location"] == "/ml/api"
    body = response.json()
    assert body["deployments"] == [{"id": response.headers["Marathon-Deployment-Id"]}]
    assert (body["cpus"], body["mem"], body["disk"], body["gpus"], body["instances"]) == (
        1, 128, 0, 0, 1)
    assert body["labels"] == {}
    assert body["upgradeStrategy"] == {"minimumHealthCapacity": 1, "maximumOverCapacity": 1}
    assert body["unreachableStrategy"] == {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}
    assert body["networks"] == [{"mode": "host"}]
    assert body["versionInfo"]["lastConfigChangeAt"] == body["version"]
    assert body["tasksRunning"] == 0 and body["tasksStaged"] == 0


async def test_port_zero_gets_a_service_port_from_10000_written_back_and_unique(
    marathon: httpx.AsyncClient,
) -> None:
    ports = [{"port": 0, "name": "api"}, {"port": 0, "name": "monitor"}]
    first = (await marathon.post("/v2/apps", json=small("/one", portDefinitions=ports))).json()
    second = (await marathon.post("/v2/apps", json=small("/two"))).json()
    assigned = [p["port"] for p in first["portDefinitions"]]
    assert assigned == [10000, 10001]
    assert [p["name"] for p in first["portDefinitions"]] == ["api", "monitor"]
    assert second["portDefinitions"] == [
        {"port": 10002, "name": "default", "protocol": "tcp", "labels": {}}
    ]
    stored = (await marathon.get("/v2/apps/one")).json()["app"]
    assert [p["port"] for p in stored["portDefinitions"]] == [10000, 10001]


async def test_tasks_carry_host_ports_from_the_agent_range_and_the_service_ports(
    sim: SimCluster, marathon: httpx.AsyncClient
) -> None:
    await marathon.post("/v2/apps", json=small("/web", portDefinitions=[{"port": 0}]))

    async def running() -> bool:
        tasks = (await marathon.get("/v2/apps/web/tasks")).json()["tasks"]
        return bool(tasks) and tasks[0]["state"] == "TASK_RUNNING"

    await eventually(running)
    task = (await marathon.get("/v2/apps/web/tasks")).json()["tasks"][0]
    low, high = sim.config.port_range
    assert low <= task["ports"][0] <= high
    assert task["servicePorts"] == [10000]
    assert task["id"].startswith("web.instance-") and task["id"].endswith("._app.1")
    assert task["host"] == "127.0.0.1"


async def test_list_filters_by_label_selector_and_embeds_tasks(
    marathon: httpx.AsyncClient,
) -> None:
    await marathon.post("/v2/apps", json=small("/public", labels={"HAPROXY_GROUP": "external"}))
    await marathon.post("/v2/apps", json=small("/private", labels={"HAPROXY_GROUP": "internal"}))
    await marathon.post("/v2/apps", json=small("/bare"))
    selected = (await marathon.get(
        "/v2/apps", params={"label": "HAPROXY_GROUP==external", "embed": "apps.tasks"}
    )).json()["apps"]
    assert [a["id"] for a in selected] == ["/public"]
    assert "tasks" in selected[0] and "deployments" in selected[0]
    selector = {"label": "HAPROXY_GROUP in (external, internal)"}
    in_set = (await marathon.get("/v2/apps", params=selector)).json()
    assert sorted(a["id"] for a in in_set["apps"]) == ["/private", "/public"]
    plain = (await marathon.get("/v2/apps")).json()["apps"]
    assert all("tasks" not in a for a in plain)
    assert all(a["labels"] is not None for a in plain)


async def test_scaling_with_put_keeps_the_config_version_and_starts_more_tasks(
    marathon: httpx.AsyncClient,
) -> None:
    created = (await marathon.post("/v2/apps", json=small("/scale"))).json()

    async def deployed() -> bool:
        return (await marathon.get("/v2/deployments")).json() == []

    await eventually(deployed)
    response = await marathon.put("/v2/apps/scale", json={"instances": 2})
    assert response.status_code == 200
    assert set(response.json()) == {"version", "deploymentId"}
    assert response.headers["Marathon-Deployment-Id"] == response.json()["deploymentId"]

    async def two_running() -> bool:
        app = (await marathon.get("/v2/apps/scale")).json()["app"]
        return app["tasksRunning"] == 2

    await eventually(two_running)
    app = (await marathon.get("/v2/apps/scale")).json()["app"]
    assert app["versionInfo"]["lastConfigChangeAt"] == created["version"]


async def test_a_second_change_during_a_deployment_is_locked_unless_forced(
    marathon: httpx.AsyncClient,
) -> None:
    await marathon.post("/v2/apps", json=small("/locked", cpus=100))  # never fits: stays deploying
    response = await marathon.put("/v2/apps/locked", json={"cpus": 99})
    assert response.status_code == 409
    body = response.json()
    assert body["message"].startswith("App is locked by one or more deployments.")
    assert len(body["deployments"]) == 1
    forced = await marathon.put("/v2/apps/locked", params={"force": "true"}, json={"cpus": 0.1})
    assert forced.status_code == 200


async def test_delete_and_restart_answer_with_a_deployment_and_404_when_unknown(
    marathon: httpx.AsyncClient,
) -> None:
    await marathon.post("/v2/apps", json=small("/gone"))
    restart = await marathon.post("/v2/apps/gone/restart", params={"force": "true"})
    assert restart.status_code == 200 and "deploymentId" in restart.json()
    deleted = await marathon.delete("/v2/apps/gone")
    assert deleted.status_code == 200 and "deploymentId" in deleted.json()
    assert (await marathon.get("/v2/apps/gone")).status_code == 404
    assert (await marathon.post("/v2/apps/gone/restart")).status_code == 404


async def test_info_leader_and_ping_answer_like_marathon(marathon: httpx.AsyncClient) -> None:
    info = (await marathon.get("/v2/info")).json()
    assert "gpu_resources" in info["marathon_config"]["features"]
    assert info["elected"] is True
    leader = (await marathon.get("/v2/leader")).json()["leader"]
    assert info["leader"] == leader
    ping = await marathon.get("/ping")
    assert ping.text == "pong" and ping.headers["content-type"].startswith("text/plain")
    assert ping.headers["X-Marathon-Leader"] == f"http://{leader}"
    assert "uvicorn" not in ping.headers.get("server", "")


async def test_the_marathon_lb_snapshot_has_every_key_it_reads_without_get(
    marathon: httpx.AsyncClient,
) -> None:
    app = small("/lb", labels={"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "a.example.org"},
                portDefinitions=[{"port": 0, "name": "http"}],
                healthChecks=[{"protocol": "HTTP", "intervalSeconds": 1, "gracePeriodSeconds": 5}])
    await marathon.post("/v2/apps", json=app)

    async def healthy() -> bool:
        apps = (await marathon.get("/v2/apps", params={"embed": "apps.tasks"})).json()["apps"]
        tasks = apps[0]["tasks"]
        return bool(tasks) and tasks[0].get("healthCheckResults", [{}])[0].get("alive") is True

    await eventually(healthy)
    (snapshot,) = (await marathon.get("/v2/apps", params={"embed": "apps.tasks"})).json()["apps"]
    assert snapshot["labels"]["HAPROXY_GROUP"] == "external"
    assert snapshot["portDefinitions"][0]["port"] == 10000
    assert snapshot["healthChecks"][0]["protocol"] == "HTTP"
    assert snapshot["versionInfo"]["lastScalingAt"]
    (task,) = snapshot["tasks"]
    assert {"id", "host", "state", "ports", "ipAddresses"} <= set(task)
    assert task["ipAddresses"][0]["ipAddress"] == "127.0.0.1"
