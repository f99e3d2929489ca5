"""The Chronos client and the job translation against the simulated Chronos 3 (real HTTP, its
deserializer, scheduler and quirks), with time accelerated: what we send is accepted as is,
schedules fire, dependents follow their parent, retries happen, errors are mapped."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.catalog_files import load_job_templates, load_module_catalog, load_service_templates
from gateway.discovery import StaticLeaderSource
from gateway.errors import NotFound
from gateway.models.jobs import JobRequest
from gateway.models.schedules import format_instant
from gateway.translation import jobs as specs
from gateway.upstreams.chronos import ChronosClient, chronos_has_no_leader
from gateway.upstreams.upstream import UpstreamClient
from simcluster.chronos import ChronosOptions
from simcluster.chronos.standalone import ChronosCluster, standalone
from simcluster.mesos import AgentSpec
from tests.support.paths import JOB_SPECS
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow
OWNER = "0123456789abcdef0123456789abcdef"
TIME_SCALE = 600.0  # one real second is ten simulated minutes
# A GPU agent only offers to frameworks with the GPU capability, so CPU jobs need a CPU agent.
AGENTS = (AgentSpec(cpus=8, mem=32768, disk=200_000, gpus=0, port_range=(31000, 31099)),
          AgentSpec(cpus=8, mem=32768, disk=200_000, gpus=1, port_range=(31100, 31199)))


def _chronos_job(cluster: ChronosCluster, *, gpus: bool = False, **body: Any) -> dict[str, Any]:
    request = JobRequest.model_validate({
        "image": "deephdc/deep-oc-generic-dev:cpu", "command": "python job.py",
        "hardware": {"cpus": 1, "memory": 1024, "gpus": 0}, **body})
    resolved = specs.resolve_job(request, load_module_catalog(JOB_SPECS),
                                 load_service_templates(JOB_SPECS), load_job_templates(JOB_SPECS),
                                 gpus_supported=gpus)
    now = datetime.fromtimestamp(cluster.clock.now(), tz=UTC)
    return specs.chronos_job_for(resolved, owner=OWNER, templates=load_job_templates(JOB_SPECS),
                                 now=now, gpus_supported=gpus, write=secrets.token_hex(8))


async def _client(cluster: ChronosCluster) -> AsyncIterator[ChronosClient]:
    async with httpx.AsyncClient() as http:
        leaders = StaticLeaderSource({"chronos": cluster.chronos.url})
        yield ChronosClient(UpstreamClient("chronos", http, leaders, leader_wait=0.1,
                                           no_leader=chronos_has_no_leader))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_cluster(tmp_path: Path, body: Any, options: ChronosOptions | None = None) -> None:
    async with standalone(tmp_path, agents=AGENTS, time_scale=TIME_SCALE,
                          options=options or ChronosOptions(failure_retry=60.0)) as cluster:
        async for client in _client(cluster):
            await body(cluster, client)


def test_a_run_now_job_is_accepted_runs_once_and_counts_a_success(tmp_path):
    async def body(cluster: ChronosCluster, client: ChronosClient) -> None:
        job = _chronos_job(cluster, name="once", env={"SIM_DURATION": "60"})
        created = await client.create_job(job, specs.chronos_endpoint(job))
        assert created["name"] == job["name"] and created["container"]["type"] == "MESOS"

        async def succeeded() -> bool:
            current = await client.get_job(job["name"])
            return bool(current and current["successCount"] == 1)

        assert await eventually(succeeded)
        done = await client.get_job(job["name"])
        assert done is not None and done["schedule"].startswith("R0/") and done["disabled"]

    run(_with_cluster(tmp_path, body))


def test_a_repeating_schedule_fires_again_and_again(tmp_path):
    async def body(cluster: ChronosCluster, client: ChronosClient) -> None:
        start = format_instant(datetime.fromtimestamp(cluster.clock.now() + 120, tz=UTC))
        job = _chronos_job(cluster, name="every-10-min", schedule=f"R/{start}/PT10M",
                           timezone="Europe/Madrid", env={"SIM_DURATION": "5"})
        await client.create_job(job, specs.chronos_endpoint(job))

        async def three_runs() -> bool:
            current = await client.get_job(job["name"])
            return bool(current and current["successCount"] >= 3)

        assert await eventually(three_runs, timeout=15)
        current = await client.get_job(job["name"])
        assert current is not None and current["scheduleTimeZone"] == "Europe/Madrid"
        assert current["schedule"] != job["schedule"]  # Chronos moved the start forward

    run(_with_cluster(tmp_path, body))


def test_a_dependent_job_runs_after_its_parent_succeeds(tmp_path):
    async def body(cluster: ChronosCluster, client: ChronosClient) -> None:
        parent = _chronos_job(cluster, name="train", env={"SIM_DURATION": "30"})
        child = _chronos_job(cluster, name="evaluate", parents=["train"])
        await client.create_job(parent, specs.chronos_endpoint(parent))
        created = await client.create_job(child, specs.chronos_endpoint(child))
        assert created["parents"] == [parent["name"]]

        async def child_ran() -> bool:
            current = await client.get_job(child["name"])
            return bool(current and current["successCount"] == 1)

        assert await eventually(child_ran)
        parent_now = await client.get_job(parent["name"])
        assert parent_now is not None and parent_now["successCount"] == 1

    run(_with_cluster(tmp_path, body))


def test_a_failing_job_is_retried_then_counted_as_one_error(tmp_path):
    async def body(cluster: ChronosCluster, client: ChronosClient) -> None:
        job = _chronos_job(cluster, name="flaky", retries=2, env={"SIM_EXIT_CODE": "3"})
        await client.create_job(job, specs.chronos_endpoint(job))

        async def failed() -> bool:
            current = await client.get_job(job["name"])
            return bool(current and current["errorCount"] == 1)

        assert await eventually(failed, timeout=15)
        attempts = sorted(t.task_id.split(":")[2] for t in cluster.master.completed_tasks()
                          if job["name"] in t.task_id)
        assert attempts == ["0", "1", "2"]

    run(_with_cluster(tmp_path, body))


def test_unknown_jobs_are_not_found_and_gpu_jobs_are_accepted_by_a_gpu_build(tmp_path):
    async def body(cluster: ChronosCluster, client: ChronosClient) -> None:
        assert await client.get_job("gw-nothing") is None
        with pytest.raises(NotFound):
            await client.run_job({"name": "gw-nothing"})
        with pytest.raises(NotFound):
            await client.delete_job("gw-nothing")
        job = _chronos_job(cluster, gpus=True, name="gpu-train",
                           hardware={"cpus": 1, "memory": 1024, "gpus": 1})
        created = await client.create_job(job, specs.chronos_endpoint(job))
        assert created["gpus"] == 1
        await client.kill_tasks(job["name"])
        await client.delete_job(job["name"])
        assert await client.get_job(job["name"]) is None

    run(_with_cluster(tmp_path, body, ChronosOptions.with_gpus(True)))
