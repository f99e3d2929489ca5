"""The marathon-lb stand-in: external apps' service ports answer on loopback, forwarded to their
healthy tasks, following Marathon's events and the HAPROXY_n_* labels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from simcluster import SimCluster, SimConfig
from tests.sim.conftest import eventually
from tests.support.ports import free_port_range

pytestmark = pytest.mark.anyio
NO_SERVER = "No server is available"


@pytest.fixture
async def cluster() -> AsyncIterator[SimCluster]:
    base = free_port_range(21)
    config = SimConfig(agents=1, agent_cpus=4, agent_mem=8192, chronos_instances=0,
                       marathon_lb=True, service_port_range=(base, base + 19),
                       lb_http_port=base + 20)
    async with SimCluster(config) as sim:
        yield sim


def _app(app_id: str, ports: int = 1, **extra: Any) -> dict[str, Any]:
    return {"id": app_id, "cmd": "serve", "cpus": 0.1, "mem": 32, "instances": 1,
            "portDefinitions": [{"port": 0, "name": f"p{i}"} for i in range(ports)], **extra}


async def _get(url: str, **kwargs: Any) -> httpx.Response | None:
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            return await client.get(url, **kwargs)
    except httpx.TransportError:
        return None


async def _service_ports(marathon: httpx.AsyncClient, app_id: str) -> list[int]:
    app = (await marathon.get(f"/v2/apps{app_id}")).json()["app"]
    return [d["port"] for d in app["portDefinitions"]]


async def test_an_external_apps_ports_reach_its_task_and_close_when_the_app_is_deleted(cluster):
    async with httpx.AsyncClient(base_url=cluster.marathon_url, timeout=10) as marathon:
        created = await marathon.post("/v2/apps", json=_app(
            "/web", ports=2, labels={"HAPROXY_GROUP": "external"}))
        assert created.status_code == 201, created.text
        await marathon.post("/v2/apps", json=_app("/internal"))
        ports = await _service_ports(marathon, "/web")
        [internal] = await _service_ports(marathon, "/internal")

        async def answers() -> bool:
            answer = await _get(f"http://127.0.0.1:{ports[1]}/hello")
            return answer is not None and answer.status_code == 200
        await eventually(answers)
        answer = await _get(f"http://127.0.0.1:{ports[1]}/hello")
        assert answer is not None and answer.json()["app"] == "/web"
        assert answer.json()["path"] == "/hello"
        task = (await marathon.get("/v2/apps/web/tasks")).json()["tasks"][0]
        assert answer.json()["port"] == task["ports"][1]
        assert await _get(f"http://127.0.0.1:{internal}/") is None  # not in the group

        await marathon.delete("/v2/apps/web")

        async def closed() -> bool:
            return await _get(f"http://127.0.0.1:{ports[0]}/") is None
        await eventually(closed)


async def test_a_task_failing_its_health_check_gets_no_traffic(cluster):
    check = {"protocol": "MESOS_HTTP", "portIndex": 0, "path": "/", "gracePeriodSeconds": 30,
             "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 0,
             "delaySeconds": 0}
    async with httpx.AsyncClient(base_url=cluster.marathon_url, timeout=10) as marathon:
        await marathon.post("/v2/apps", json=_app(
            "/flaky", labels={"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": "http"},
            env={"SIM_FAIL": "unhealthy:3"}, healthChecks=[check]))
        [port] = await _service_ports(marathon, "/flaky")

        async def served_by_the_task() -> bool:
            answer = await _get(f"http://127.0.0.1:{port}/")
            return answer is not None and answer.status_code == 200
        await eventually(served_by_the_task)

        async def taken_out() -> bool:
            answer = await _get(f"http://127.0.0.1:{port}/")
            return answer is not None and answer.status_code == 503 and NO_SERVER in answer.text
        await eventually(taken_out)
        [task] = (await marathon.get("/v2/apps/flaky/tasks")).json()["tasks"]
        assert task["state"] == "TASK_RUNNING"  # it runs, but fails its check: no traffic


async def test_the_port_and_vhost_labels_choose_where_an_app_is_served(cluster):
    port = free_port_range(1)
    labels = {"HAPROXY_GROUP": "external", "HAPROXY_0_PORT": str(port),
              "HAPROXY_0_VHOST": "web.example.org"}
    async with httpx.AsyncClient(base_url=cluster.marathon_url, timeout=10) as marathon:
        await marathon.post("/v2/apps", json=_app("/named", labels=labels))

        async def on_its_own_port() -> bool:
            answer = await _get(f"http://127.0.0.1:{port}/")
            return answer is not None and answer.status_code == 200
        await eventually(on_its_own_port)
        shared = f"http://127.0.0.1:{cluster.config.lb_http_port}/page"
        by_name = await _get(shared, headers={"Host": "web.example.org"})
        assert by_name is not None and by_name.json()["app"] == "/named", by_name
        unknown = await _get(shared, headers={"Host": "other.example.org"})
        assert unknown is not None and unknown.status_code == 503 and NO_SERVER in unknown.text
