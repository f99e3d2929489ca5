"""Basic credentials, fault injection, and running the cluster from synchronous code."""

from __future__ import annotations

import httpx
import pytest

from simcluster import SimCluster, SimConfig

pytestmark = pytest.mark.anyio


async def test_marathon_with_credentials_refuses_anonymous_calls_like_jetty() -> None:
    config = SimConfig(agents=1, chronos_instances=0, credentials=("alice", "s3cret"))
    async with SimCluster(config) as sim:
        async with httpx.AsyncClient(base_url=str(sim.marathon_url)) as client:
            anonymous = await client.get("/v2/apps")
            wrong = await client.get("/v2/apps", auth=("alice", "nope"))
            right = await client.get("/v2/apps", auth=("alice", "s3cret"))
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'basic realm="Mesosphere"'
    assert wrong.status_code == 401
    assert right.status_code == 200 and right.json() == {"apps": []}


async def test_fault_routes_exist_only_when_faults_are_enabled() -> None:
    async with SimCluster(SimConfig(agents=1, chronos_instances=0)) as sim:
        async with httpx.AsyncClient(base_url=str(sim.marathon_url)) as client:
            response = await client.get("/__sim__/faults")
    assert response.status_code == 404


async def test_injected_errors_latency_and_dropped_connections_hit_matching_requests() -> None:
    async with SimCluster(SimConfig(agents=1, chronos_instances=0, faults=True)) as sim:
        async with httpx.AsyncClient(base_url=str(sim.marathon_url)) as client:
            rule = {"path": "/v2/apps", "status": 503, "body": {"message": "down"}, "times": 1}
            assert (await client.post("/__sim__/faults", json=rule)).status_code == 201
            failed = await client.get("/v2/apps")
            recovered = await client.get("/v2/apps")
            await client.post("/__sim__/faults", json={"path": "/v2/info", "drop": True})
            with pytest.raises(httpx.HTTPError):
                await client.get("/v2/info")
            await client.delete("/__sim__/faults")
            assert (await client.get("/v2/info")).status_code == 200
        async with httpx.AsyncClient(base_url=sim.mesos_url) as mesos:
            await mesos.post("/__sim__/faults", json={"path": "/master/state", "latency": 0.3})
            with pytest.raises(httpx.TimeoutException):
                await mesos.get("/master/state", timeout=0.1)
    assert failed.status_code == 503 and failed.json() == {"message": "down"}
    assert recovered.status_code == 200


async def test_a_fault_after_serving_loses_the_answer_of_a_request_that_was_acted_on() -> None:
    async with SimCluster(SimConfig(agents=1, chronos_instances=0, faults=True)) as sim:
        async with httpx.AsyncClient(base_url=str(sim.marathon_url)) as client:
            await client.post("/__sim__/faults", json={"path": "/v2/apps", "method": "POST",
                                                       "drop": True, "after": True, "times": 1})
            app = {"id": "/acted-on", "cmd": "x", "cpus": 0.1, "mem": 16}
            with pytest.raises(httpx.HTTPError):
                await client.post("/v2/apps", json=app)
            again = await client.post("/v2/apps", json=app)
            late = {"path": "/v2/apps", "method": "DELETE", "latency": 0.3, "after": True}
            await client.post("/__sim__/faults", json=late)
            with pytest.raises(httpx.TimeoutException):
                await client.delete("/v2/apps/acted-on", timeout=0.1)
            gone = await client.get("/v2/apps/acted-on")
    assert again.status_code == 409
    assert again.json() == {"message": "An app with id [/acted-on] already exists."}
    assert gone.status_code == 404


def test_the_cluster_runs_in_a_thread_for_synchronous_callers() -> None:
    with SimCluster.in_thread(SimConfig(agents=1, chronos_instances=0)) as sim:
        response = httpx.post(f"{sim.marathon_url}/v2/apps",
                              json={"id": "/sync", "cmd": "x", "cpus": 0.1, "mem": 16})
        assert response.status_code == 201
        assert httpx.get(f"{sim.mesos_url}/master/state").json()["frameworks"][0]["name"] == (
            "marathon")


async def test_faults_reach_the_simulated_chronos_too() -> None:
    async with SimCluster(SimConfig(agents=1, faults=True)) as sim:
        async with httpx.AsyncClient(base_url=str(sim.chronos_url)) as client:
            rule = {"path": "/v1/scheduler/jobs", "status": 500, "times": 1}
            assert (await client.post("/__sim__/faults", json=rule)).status_code == 201
            failed = await client.get("/v1/scheduler/jobs")
            recovered = await client.get("/v1/scheduler/jobs")
    assert failed.status_code == 500
    assert recovered.status_code == 200 and recovered.json() == []


async def test_without_faults_enabled_chronos_has_no_fault_routes() -> None:
    async with SimCluster(SimConfig(agents=1)) as sim:
        async with httpx.AsyncClient(base_url=str(sim.chronos_url)) as client:
            response = await client.post("/__sim__/faults", json={"status": 500})
    assert response.status_code != 201
