"""The sim's tests are async (anyio's pytest plugin) on asyncio, where the sim runs.

The ``sim`` fixture is one cluster per module, emptied through Marathon's API after each test
(every app deleted, no task, deployment or queued launch left), so each test still finds it as
new: no apps, the first service ports, every resource free. Tests that kill, crash or reconfigure
parts of a cluster start their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from simcluster import SimCluster, SimConfig
from simcluster.chronos.standalone import ChronosCluster
from tests.support.waiting import eventually

SIM_CONFIG = SimConfig(agents=1, agent_cpus=4, agent_mem=8192, agent_gpus=1, chronos_instances=0)


@pytest.fixture(scope="module")
async def shared_cluster() -> AsyncIterator[SimCluster]:
    async with SimCluster(SIM_CONFIG) as cluster:
        yield cluster


@pytest.fixture
async def sim(shared_cluster: SimCluster) -> AsyncIterator[SimCluster]:
    yield shared_cluster
    await emptied(shared_cluster)


async def emptied(sim: SimCluster) -> None:
    """Delete every app, then wait until Marathon and the Mesos master hold nothing of them."""
    assert sim.marathon_url is not None and sim.mesos_url is not None
    async with httpx.AsyncClient(base_url=sim.marathon_url, timeout=10) as marathon, \
            httpx.AsyncClient(base_url=sim.mesos_url, timeout=10) as mesos:
        for app in (await marathon.get("/v2/apps")).json()["apps"]:
            await marathon.delete(f"/v2/apps{app['id']}", params={"force": "true"})

        async def nothing_left() -> bool:
            state = (await mesos.get("/master/state")).json()
            return ((await marathon.get("/v2/apps")).json()["apps"] == []
                    and (await marathon.get("/v2/deployments")).json() == []
                    and (await marathon.get("/v2/queue")).json()["queue"] == []
                    and not any(framework["tasks"] for framework in state["frameworks"]))

        await eventually(nothing_left)


async def chronos_emptied(cluster: ChronosCluster) -> None:
    """Delete every job (a deleted parent's children stay, so until none is left) and wait until
    the Mesos master runs no task: the next test finds the cluster as new."""
    async with httpx.AsyncClient(base_url=cluster.chronos.url, timeout=10) as chronos:

        async def no_job_left() -> bool:
            jobs = (await chronos.get("/v1/scheduler/jobs")).json()
            for job in jobs:
                await chronos.delete(f"/v1/scheduler/task/kill/{job['name']}")
                await chronos.delete(f"/v1/scheduler/job/{job['name']}")
            return not jobs and not cluster.master.tasks()

        await eventually(no_job_left)


@pytest.fixture
async def marathon(sim: SimCluster) -> AsyncIterator[httpx.AsyncClient]:
    assert sim.marathon_url is not None
    async with httpx.AsyncClient(base_url=sim.marathon_url, timeout=10) as client:
        yield client
