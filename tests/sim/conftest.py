"""The sim's tests are async (anyio's pytest plugin) on asyncio, where the sim runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from simcluster import SimCluster, SimConfig


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[SimCluster]:
    config = SimConfig(agents=1, agent_cpus=4, agent_mem=8192, agent_gpus=1, chronos_instances=0)
    async with SimCluster(config) as cluster:
        yield cluster


@pytest.fixture
async def marathon(sim: SimCluster) -> AsyncIterator[httpx.AsyncClient]:
    assert sim.marathon_url is not None
    async with httpx.AsyncClient(base_url=sim.marathon_url, timeout=10) as client:
        yield client


async def eventually(
    probe: Callable[[], Awaitable[bool]], timeout: float = 8.0, interval: float = 0.05
) -> None:
    """Poll ``probe`` until it holds; fail with a clear message when it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await probe():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {probe.__name__}")
