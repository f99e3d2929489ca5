"""The sim's tests are async (anyio's pytest plugin) on asyncio, where the sim runs.

``sim`` is a fresh cluster per test, for tests that fill it, kill parts of it or count what it
holds. A module whose tests only make things under names of their own overrides ``sim`` with a
module-scoped fixture built from ``SIM_CONFIG`` and shares one cluster (see
test_marathon_validation.py); ``anyio_backend`` is module-scoped so such fixtures can share the
tests' event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from simcluster import SimCluster, SimConfig

SIM_CONFIG = SimConfig(agents=1, agent_cpus=4, agent_mem=8192, agent_gpus=1, chronos_instances=0)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[SimCluster]:
    async with SimCluster(SIM_CONFIG) as cluster:
        yield cluster


@pytest.fixture
async def marathon(sim: SimCluster) -> AsyncIterator[httpx.AsyncClient]:
    assert sim.marathon_url is not None
    async with httpx.AsyncClient(base_url=sim.marathon_url, timeout=10) as client:
        yield client
