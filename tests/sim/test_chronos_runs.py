"""Jobs of the simulated Chronos really run as tasks of the framework "chronos" on the
simulated Mesos master: on schedule, after their parents, with retries, queued while no agent
fits, and with their output in the sandbox."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simcluster.chronos import ChronosOptions
from simcluster.chronos.standalone import ChronosCluster, standalone
from simcluster.mesos import AgentSpec, DeclineReason, Task, TaskState
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

CPU_AGENT = AgentSpec(cpus=2, mem=8192, disk=50_000, gpus=0, port_range=(31100, 31199))
GPU_AGENT = AgentSpec(cpus=8, mem=32768, disk=50_000, gpus=2, port_range=(31200, 31299))
TIME_SCALE = 600.0  # one real second is ten simulated minutes


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[ChronosCluster]:
    options = ChronosOptions(failure_retry=30.0)
    async with standalone(tmp_path, agents=[CPU_AGENT], time_scale=TIME_SCALE, options=options) as running:
        yield running


@pytest.fixture
async def client(cluster: ChronosCluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.chronos.url) as http:
        yield http




async def job_when(
    client: httpx.AsyncClient, name: str, test: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async def fetch() -> dict[str, Any] | None:
        answer = await client.get(f"/v1/scheduler/job/{name}")
        if answer.status_code != 200:
            return None
        job: dict[str, Any] = answer.json()
        return job if test(job) else None

    result: dict[str, Any] = await eventually(fetch)
    return result


async def state_of(client: httpx.AsyncClient, name: str) -> str:
    jobs = (await client.get("/v1/scheduler/jobs/summary")).json()["jobs"]
    return str(next(job["state"] for job in jobs if job["name"] == name))


def tasks_of(cluster: ChronosCluster, name: str) -> list[Task]:
    every = cluster.master.tasks() + cluster.master.completed_tasks()
    return sorted((t for t in every if t.spec.name == f"ChronosTask:{name}"), key=lambda t: t.staged_at)


async def test_a_repeating_schedule_runs_its_count_then_disables_itself(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601", json={"name": "tick", "command": "echo tick", "schedule": "R3//PT2M"}
    )

    job = await job_when(client, "tick", lambda j: j["successCount"] == 3 and j["disabled"])

    assert job["errorCount"] == 0 and job["lastSuccess"] and job["schedule"].startswith("R0/")
    tasks = tasks_of(cluster, "tick")
    assert len(tasks) == 3 and all(t.state is TaskState.FINISHED for t in tasks)
    assert all(re.fullmatch(r"ct:\d{13}:0:tick:", t.task_id) for t in tasks)
    assert [s.state for s in tasks[0].statuses][:1] == [TaskState.STAGING]
    assert TaskState.RUNNING in [s.state for s in tasks[0].statuses]
    framework = cluster.master.frameworks[tasks[0].framework_id]
    assert framework.name == "chronos"
    # Slots are two simulated minutes apart.
    gaps = [b.staged_at - a.staged_at for a, b in itertools.pairwise(tasks)]
    assert all(gap >= 110 for gap in gaps), gaps


async def test_a_dependent_job_runs_after_its_parent_succeeds(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "prepare", "command": "sleep 30", "schedule": "R/2030-01-01T00:00:00Z/P1D"},
    )
    await job_when(client, "prepare", lambda j: True)
    await client.post(
        "/v1/scheduler/dependency", json={"name": "train", "command": "echo go", "parents": ["prepare"]}
    )
    await job_when(client, "train", lambda j: True)

    await client.put("/v1/scheduler/job/prepare")
    child = await job_when(client, "train", lambda j: j["successCount"] == 1)

    parent = tasks_of(cluster, "prepare")[0]
    assert child["lastSuccess"] > (await job_when(client, "prepare", lambda j: True))["lastSuccess"]
    assert tasks_of(cluster, "train")[0].staged_at >= parent.statuses[-1].timestamp


async def test_a_failing_job_is_retried_then_counted_once_and_a_failed_job_gets_no_more_retries(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "flaky", "command": "exit 3", "retries": 2, "schedule": "R1//PT1H"},
    )

    job = await job_when(client, "flaky", lambda j: j["errorCount"] == 1)

    attempts = [t.task_id.split(":")[2] for t in tasks_of(cluster, "flaky")]
    assert attempts == ["0", "1", "2"]
    assert all(t.state is TaskState.FAILED for t in tasks_of(cluster, "flaky"))
    assert job["errorsSinceLastSuccess"] == 1 and job["lastError"] and job["lastSuccess"] == ""
    assert not job["disabled"]

    # Chronos only retries when the previous run did not fail.
    await client.put("/v1/scheduler/job/flaky")
    job = await job_when(client, "flaky", lambda j: j["errorCount"] == 2)
    await asyncio.sleep(0.2)
    assert len(tasks_of(cluster, "flaky")) == 4 and job["errorsSinceLastSuccess"] == 2


async def test_a_job_waits_queued_until_an_agent_has_room(client: httpx.AsyncClient, cluster: ChronosCluster):
    later = "R/2030-01-01T00:00:00Z/P1D"
    await client.post(
        "/v1/scheduler/iso8601", json={"name": "big", "command": "sleep 120", "cpus": 2, "schedule": later}
    )
    await client.post(
        "/v1/scheduler/iso8601", json={"name": "next", "command": "true", "cpus": 1, "schedule": later}
    )
    await job_when(client, "next", lambda j: True)
    await client.put("/v1/scheduler/job/big")
    await eventually(lambda: _equals(state_of(client, "big"), "1 running"))

    await client.put("/v1/scheduler/job/next")

    assert await state_of(client, "next") == "queued"
    pending = cluster.master.pending_launches()
    assert [p.spec.name for p in pending] == ["ChronosTask:next"]
    assert pending[0].reasons.get(DeclineReason.INSUFFICIENT_CPUS) == 1
    await job_when(client, "next", lambda j: j["successCount"] == 1)
    assert tasks_of(cluster, "next")[0].staged_at >= tasks_of(cluster, "big")[0].statuses[-1].timestamp


async def test_manual_arguments_reach_the_command_the_task_id_and_the_sandbox_log(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601",
        json={
            "name": "echoer",
            "command": "echo",
            "schedule": "R/2030-01-01T00:00:00Z/P1D",
            "owner": "ml@example.org",
            "environmentVariables": [
                {"name": "EPOCHS", "value": "10"},
                {"name": "CHRONOS_JOB_NAME", "value": "x"},
            ],
        },
    )
    await job_when(client, "echoer", lambda j: True)

    await client.put("/v1/scheduler/job/echoer", params={"arguments": "--epochs 10; rm -rf /"})
    await job_when(client, "echoer", lambda j: j["successCount"] == 1)

    task = tasks_of(cluster, "echoer")[0]
    due, attempt, name, args = task.task_id.split(":", 4)[1:]
    assert (attempt, name, args) == ("0", "echoer", "--epochs 10 rm -rf /")
    assert "sh -c 'echo --epochs 10 rm -rf /'" in (task.sandbox / "stdout").read_text()
    env = task.spec.env
    assert env["EPOCHS"] == "10" and env["CHRONOS_JOB_NAME"] == "echoer"  # built-ins win
    assert env["mesos_task_id"] == env["MESOS_TASK_ID"] == task.task_id
    assert env["CHRONOS_JOB_OWNER"] == "ml@example.org" and env["CHRONOS_JOB_RUN_TIME"] == due
    assert (env["CHRONOS_RESOURCE_CPU"], env["CHRONOS_RESOURCE_MEM"]) == ("0.1", "128.0")
    assert env["CHRONOS_JOB_RUN_ATTEMPT"] == "0" and "CHRONOS_RESOURCE_GPU" not in env


async def test_fetched_uris_show_in_the_sandbox_stderr(client: httpx.AsyncClient, cluster: ChronosCluster):
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "fetcher", "command": "true", "fetch": [{"uri": "https://example.org/data.tgz"}]},
    )
    await job_when(client, "fetcher", lambda j: j["successCount"] == 1)
    stderr = (tasks_of(cluster, "fetcher")[0].sandbox / "stderr").read_text()
    assert "Fetching URI 'https://example.org/data.tgz'" in stderr


async def test_killing_a_running_job_is_neither_success_nor_error(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post("/v1/scheduler/iso8601", json={"name": "long", "command": "sleep 100000"})
    await eventually(lambda: _equals(state_of(client, "long"), "1 running"))

    assert (await client.delete("/v1/scheduler/task/kill/long")).status_code == 204

    await eventually(lambda: _equals(state_of(client, "long"), "idle"))
    task = tasks_of(cluster, "long")[0]
    assert task.state is TaskState.KILLED
    job = await job_when(client, "long", lambda j: True)
    assert (job["successCount"], job["errorCount"]) == (0, 0)


async def test_a_disabled_job_neither_runs_on_schedule_nor_by_hand(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "off", "command": "true", "schedule": "R//PT1M", "disabled": True},
    )
    await job_when(client, "off", lambda j: True)
    assert (await client.put("/v1/scheduler/job/off")).status_code == 204
    await asyncio.sleep(0.5)  # five simulated minutes
    assert tasks_of(cluster, "off") == []
    assert await state_of(client, "off") == "idle"


async def test_gpus_are_ignored_by_the_released_build(tmp_path: Path):
    async with (
        standalone(tmp_path, agents=[CPU_AGENT, GPU_AGENT], time_scale=TIME_SCALE) as running,
        httpx.AsyncClient(base_url=running.chronos.url) as http,
    ):
        await http.post("/v1/scheduler/iso8601", json={"name": "g", "command": "true", "gpus": 1})
        await job_when(http, "g", lambda j: j["successCount"] == 1)
        task = tasks_of(running, "g")[0]
    assert task.spec.resources.gpus == 0


async def test_a_gpu_job_stays_queued_forever_on_the_gpu_build_without_the_feature(tmp_path: Path):
    options = ChronosOptions(gpu_build=True)
    async with (
        standalone(
            tmp_path, agents=[CPU_AGENT, GPU_AGENT], time_scale=TIME_SCALE, options=options
        ) as running,
        httpx.AsyncClient(base_url=running.chronos.url) as http,
    ):
        await http.post("/v1/scheduler/iso8601", json={"name": "g", "command": "true", "gpus": 1})
        await eventually(lambda: _equals(state_of(http, "g"), "queued"))
        await asyncio.sleep(0.5)
        assert await state_of(http, "g") == "queued"
        pending = running.master.pending_launches()
    assert [p.spec.resources.gpus for p in pending] == [1]
    assert pending[0].reasons.get(DeclineReason.INSUFFICIENT_GPUS)
    assert tasks_of(running, "g") == []


async def test_a_gpu_job_is_placed_on_a_gpu_agent_with_the_feature(tmp_path: Path):
    options = ChronosOptions.with_gpus(True)
    async with (
        standalone(
            tmp_path, agents=[CPU_AGENT, GPU_AGENT], time_scale=TIME_SCALE, options=options
        ) as running,
        httpx.AsyncClient(base_url=running.chronos.url) as http,
    ):
        await http.post(
            "/v1/scheduler/iso8601",
            json={
                "name": "g",
                "command": "true",
                "gpus": 1,
                "container": {"type": "MESOS", "image": "nvidia/cuda"},
            },
        )
        job = await job_when(http, "g", lambda j: j["successCount"] == 1)
        task = tasks_of(running, "g")[0]
        framework = running.master.frameworks[task.framework_id]
    assert job["gpus"] == 1
    assert running.master.agents[task.agent_id].total.gpus == 2
    assert task.spec.resources.gpus == 1 and task.spec.env["CHRONOS_RESOURCE_GPU"] == "1"
    assert task.spec.image == "nvidia/cuda"
    assert "GPU_RESOURCES" in framework.capabilities


async def _equals(value: Awaitable[str], expected: str) -> bool:
    return await value == expected


async def test_a_job_without_schedule_or_parents_runs_once_now(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post("/v1/scheduler/iso8601", json={"name": "once", "command": "true"})

    job = await job_when(client, "once", lambda j: j["successCount"] == 1 and j["disabled"])

    assert re.fullmatch(r"R0/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/PT24H", job["schedule"])
    assert len(tasks_of(cluster, "once")) == 1


async def test_a_soft_error_parent_still_fires_its_children_after_its_final_failure(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    later = "R/2030-01-01T00:00:00Z/P1D"
    await client.post(
        "/v1/scheduler/iso8601", json={"name": "hard", "command": "exit 1", "retries": 0, "schedule": later}
    )
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "soft", "command": "exit 1", "retries": 0, "softError": True, "schedule": later},
    )
    await job_when(client, "soft", lambda j: True)
    await client.post(
        "/v1/scheduler/dependency", json={"name": "after-hard", "command": "true", "parents": ["hard"]}
    )
    await client.post(
        "/v1/scheduler/dependency", json={"name": "after-soft", "command": "true", "parents": ["soft"]}
    )
    await job_when(client, "after-soft", lambda j: True)

    await client.put("/v1/scheduler/job/hard")
    await client.put("/v1/scheduler/job/soft")

    await job_when(client, "after-soft", lambda j: j["successCount"] == 1)
    hard = await job_when(client, "hard", lambda j: j["errorCount"] == 1)
    assert hard["errorCount"] == 1 and tasks_of(cluster, "after-hard") == []


async def test_stats_report_run_times_from_the_due_time_in_seconds(client: httpx.AsyncClient):
    await client.post("/v1/scheduler/iso8601", json={"name": "timed", "command": "sleep 60"})
    await job_when(client, "timed", lambda j: j["successCount"] == 1)

    histogram = (await client.get("/v1/scheduler/job/stat/timed")).json()["histogram"]
    rows = (await client.get("/v1/scheduler/stats/median")).json()

    assert histogram["count"] == 1 and histogram["mean"] == histogram["median"] >= 60_000
    assert rows[0]["jobNameLabel"] == "timed" and rows[0]["time"] >= 60


async def test_a_job_whose_constraints_no_agent_meets_stays_queued(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "pinned", "command": "true", "constraints": [["hostname", "EQUALS", "gpu-node-7"]]},
    )
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "anywhere", "command": "true", "constraints": [["hostname", "LIKE", "127\\.0\\..*"]]},
    )

    await job_when(client, "anywhere", lambda j: j["successCount"] == 1)

    assert await state_of(client, "pinned") == "queued"
    assert tasks_of(cluster, "pinned") == []


async def test_disable_after_failures_switches_a_job_off(tmp_path: Path):
    options = ChronosOptions(disable_after_failures=2)
    async with (
        standalone(tmp_path, agents=[CPU_AGENT], time_scale=TIME_SCALE, options=options) as running,
        httpx.AsyncClient(base_url=running.chronos.url) as http,
    ):
        await http.post(
            "/v1/scheduler/iso8601",
            json={"name": "broken", "command": "exit 2", "retries": 0, "schedule": "R//PT1M"},
        )
        job = await job_when(http, "broken", lambda j: j["disabled"])
        await asyncio.sleep(0.3)  # three simulated minutes: nothing more runs
        assert len(tasks_of(running, "broken")) == 2
    assert (job["errorCount"], job["errorsSinceLastSuccess"]) == (2, 2)


async def test_non_positive_resources_launch_with_the_flag_defaults(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post(
        "/v1/scheduler/iso8601", json={"name": "tiny", "command": "true", "cpus": -2, "mem": -1}
    )
    await job_when(client, "tiny", lambda j: j["successCount"] == 1)
    resources = tasks_of(cluster, "tiny")[0].spec.resources
    assert (resources.cpus, resources.mem, resources.disk) == (0.1, 128.0, 256.0)
