"""A job submission is stored and run once, whatever happens to Chronos' answer.

A Chronos POST of a name replaces the job and resets its schedule, so a create sent again after
a run-now job's run started would run it a second time. The gateway reads the job back instead
of sending it again; a slow Chronos gets the user a 503 saying the job may have landed, and the
user's retry with the same Idempotency-Key gets that job back. The simulated Chronos and Mesos
master are asked directly for what happened (the gateway's answers could hide it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.devstack import DevStack
from gateway.upstreams.chronos import READ_BACK_SETTLE
from simcluster import SimConfig
from tests.support.gateway_stack import fast_health_checks
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

UPSTREAM_TIMEOUT = 1.0
# Chronos acts on the create only after the gateway stopped looking for it.
TOO_SLOW = UPSTREAM_TIMEOUT + READ_BACK_SETTLE + 1.0
JOB = {"image": "deephdc/deep-oc-generic-dev:cpu", "command": "sleep 30",
       "hardware": {"cpus": 0.1, "memory": 128, "disk": 0, "gpus": 0}}


@dataclass
class Cluster:
    gateway: httpx.AsyncClient
    chronos: httpx.AsyncClient
    mesos: httpx.AsyncClient
    token: str

    async def submit(self, name: str, key: str | None = None, **body: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.gateway.post("/v1/jobs", headers=headers,
                                       json={**JOB, "name": name, **body})

    async def fault(self, **rule: Any) -> None:
        answer = await self.chronos.post("/__sim__/faults", json=rule)
        assert answer.status_code == 201, answer.text

    async def jobs_named(self, name: str) -> list[dict[str, Any]]:
        answer = await self.chronos.get("/v1/scheduler/jobs")
        return [job for job in answer.json() if str(job["name"]).endswith("-" + name)]

    async def runs_of(self, name: str) -> list[str]:
        """Every Mesos task Chronos launched for the job, running or done."""
        state = (await self.mesos.get("/master/state")).json()
        tasks = [task for framework in [*state.get("frameworks", []),
                                        *state.get("completed_frameworks", [])]
                 for task in [*framework.get("tasks", []), *framework.get("completed_tasks", [])]]
        return [str(task["id"]) for task in tasks if f"-{name}:" in str(task["id"])]


@pytest.fixture
async def cluster(tmp_path) -> AsyncIterator[Cluster]:
    config = SimConfig(agents=1, agent_cpus=4.0, agent_mem=8192, agent_disk=10240, agent_gpus=0,
                       faults=True)
    stack = DevStack(sim_config=config, job_specs_dir=fast_health_checks(tmp_path),
                     settings={"upstream_timeout": UPSTREAM_TIMEOUT})
    async with stack as info, \
            httpx.AsyncClient(base_url=info.gateway_url, timeout=30) as gateway, \
            httpx.AsyncClient(base_url=info.chronos_url, timeout=10) as chronos, \
            httpx.AsyncClient(base_url=info.mesos_url, timeout=10) as mesos:
        yield Cluster(gateway, chronos, mesos, info.tokens["alice"])


async def test_a_run_now_job_whose_create_answer_is_lost_after_its_run_started_runs_once(
        cluster):
    # Chronos stores the job and starts its run; only then is the connection dropped.
    await cluster.fault(path="/v1/scheduler/iso8601", method="POST", after=True, latency=0.5,
                        drop=True, times=1)
    made = await cluster.submit("train-once")
    assert made.status_code == 201, made.text
    assert "idempotent-replayed" not in made.headers
    [job] = await cluster.jobs_named("train-once")
    assert job["schedule"].startswith("R0/"), "its one run was launched and not re-armed"
    await eventually(lambda: cluster.runs_of("train-once"), 5, interval=0.1)
    assert len(await cluster.runs_of("train-once")) == 1


async def test_a_job_whose_create_answer_is_lost_before_chronos_stored_it_is_sent_again(
        cluster):
    # Nothing stored (Chronos answered an error page without acting): the read-back finds no
    # job, so the create goes again and the user gets the job.
    await cluster.fault(path="/v1/scheduler/iso8601", method="POST", drop=True, times=1)
    made = await cluster.submit("train-later", schedule="R1/2030-01-01T00:00:00Z/P1D")
    assert made.status_code == 201, made.text
    assert len(await cluster.jobs_named("train-later")) == 1


async def test_a_create_slower_than_the_timeout_is_read_back_not_sent_again(cluster):
    await cluster.fault(path="/v1/scheduler/iso8601", method="POST",
                        latency=UPSTREAM_TIMEOUT + 0.5, late=True, times=1)
    made = await cluster.submit("slowish")
    assert made.status_code == 201, made.text
    await eventually(lambda: cluster.runs_of("slowish"), 5, interval=0.1)
    [job] = await cluster.jobs_named("slowish")
    assert job["schedule"].startswith("R0/")
    assert len(await cluster.runs_of("slowish")) == 1


async def test_a_keyed_retry_after_a_slow_create_replays_the_job_it_made(cluster):
    await cluster.fault(path="/v1/scheduler/iso8601", method="POST", latency=TOO_SLOW,
                        late=True, times=1)
    first = await cluster.submit("slow-train", key="k-slow")
    assert first.status_code == 503, first.text
    assert "may have been applied" in first.json()["detail"]
    # Chronos acts on the held create after the gateway stopped waiting for it.
    await eventually(lambda: cluster.jobs_named("slow-train"), 5, interval=0.1)

    again = await cluster.submit("slow-train", key="k-slow")
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["name"] == "slow-train"
    assert len(await cluster.jobs_named("slow-train")) == 1
    await eventually(lambda: cluster.runs_of("slow-train"), 5, interval=0.1)
    assert len(await cluster.runs_of("slow-train")) == 1

    other = await cluster.submit("slow-train", key="k-slow", command="sleep 31")
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_an_unkeyed_retry_after_a_slow_create_is_told_the_job_exists_and_where(cluster):
    await cluster.fault(path="/v1/scheduler/iso8601", method="POST", latency=TOO_SLOW,
                        late=True, times=1)
    assert (await cluster.submit("slow-plain")).status_code == 503
    await eventually(lambda: cluster.jobs_named("slow-plain"), 5, interval=0.1)

    again = await cluster.submit("slow-plain")
    assert again.status_code == 422, again.text
    detail = again.json()["detail"]
    assert "already have a job named 'slow-plain'" in detail
    assert "GET /v1/jobs/slow-plain" in detail
    # Another key did not make it either: still the name clash, not a replay.
    assert (await cluster.submit("slow-plain", key="k-other")).status_code == 422
    assert len(await cluster.jobs_named("slow-plain")) == 1


@pytest.mark.parametrize("finished", [False, True], ids=["scheduled", "used up (re-armed)"])
async def test_a_run_whose_answer_is_lost_after_it_started_runs_once(cluster, finished):
    # A scheduled job gets a PUT; a job whose one run is over is re-armed by a POST. Either way
    # the run starts, then the answer is lost: the gateway must not start another.
    name = "rerun-used-up" if finished else "rerun-scheduled"
    body = {"command": "true"} if finished else {"schedule": "R1/2030-01-01T00:00:00Z/P1D",
                                                 "command": "true"}
    assert (await cluster.submit(name, **body)).status_code == 201
    before = 0
    if finished:
        async def succeeded() -> bool:
            [job] = await cluster.jobs_named(name)
            return bool(job["successCount"])
        await eventually(succeeded, 10, interval=0.1)
        before = 1
    path, method = (("/v1/scheduler/iso8601", "POST") if finished else
                    ("/v1/scheduler/job/", "PUT"))
    # Held until the run is over: a second one would not be skipped as overlapping.
    await cluster.fault(path=path, method=method, after=True, latency=2.0, drop=True, times=1)
    ran = await cluster.gateway.post(f"/v1/jobs/{name}/run",
                                     headers={"Authorization": f"Bearer {cluster.token}"})
    assert ran.status_code == 202, ran.text

    async def counted() -> bool:
        [job] = await cluster.jobs_named(name)
        return int(job["successCount"]) > before
    await eventually(counted, 10, interval=0.1)
    [job] = await cluster.jobs_named(name)
    assert int(job["successCount"]) == before + 1
    assert len(await cluster.runs_of(name)) == before + 1
