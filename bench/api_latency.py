"""How long the gateway takes to answer the calls scientists make most. Prints figures; not a test.

    .venv/bin/python -m bench.api_latency [--deployments 40] [--jobs 20]

Runs the embedded stack (simulated cluster + dev issuer + gateway, as `gateway dev`) in this
process and drives it over loopback HTTP, sequentially, as one user: creates, gets and a list of
deployments, then job submissions and gets, first without quotas and then with quotas set (quota
admission lists the user's deployments and jobs under the per-user lock before each create).
Figures are wall-clock milliseconds on this machine; compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time
from collections.abc import Awaitable
from typing import Any

import httpx

from gateway.devstack import DevStack
from simcluster import SimConfig

SIM = SimConfig(agents=4, agent_cpus=64.0, agent_mem=262144, agent_disk=1048576, agent_gpus=0)
QUOTAS = {"quota_cpus": 10_000.0, "quota_memory": 10**8, "quota_deployments": 10_000,
          "quota_jobs": 10_000}


async def _timed(samples: list[float], call: Awaitable[httpx.Response],
                 expect: int) -> httpx.Response:
    started = time.perf_counter()  # a coroutine does nothing until awaited
    response = await call
    samples.append((time.perf_counter() - started) * 1000)
    if response.status_code != expect:
        raise SystemExit(f"unexpected {response.status_code}: {response.text[:300]}")
    return response


async def _scenario(label: str, settings: dict[str, Any], deployments: int, jobs: int) -> None:
    async with DevStack(sim_config=SIM, settings=settings) as info:
        headers = {"Authorization": f"Bearer {info.tokens['alice']}"}
        times: dict[str, list[float]] = {k: [] for k in
                                         ("create deployment", "get deployment", "list deployments",
                                          "submit job", "get job")}
        async with httpx.AsyncClient(base_url=info.gateway_url, headers=headers, timeout=30) as api:
            body = {"image": "deephdc/deep-oc-bench:cpu",
                    "hardware": {"cpus": 0.5, "memory": 512, "disk": 0, "gpus": 0}}
            ids = []
            for _ in range(deployments):
                created = await _timed(times["create deployment"],
                                       api.post("/v1/deployments", json=body), 202)
                ids.append(created.json()["id"])
            for deployment_id in ids:
                await _timed(times["get deployment"],
                             api.get(f"/v1/deployments/{deployment_id}"), 200)
            for _ in range(5):
                await _timed(times["list deployments"], api.get("/v1/deployments"), 200)
            for index in range(jobs):
                job = {"name": f"bench-{index}", "image": "deephdc/deep-oc-bench:cpu",
                       "command": "true", "hardware": {"cpus": 0.1, "memory": 128, "gpus": 0},
                       "disabled": True}
                await _timed(times["submit job"], api.post("/v1/jobs", json=job), 201)
                await _timed(times["get job"], api.get(f"/v1/jobs/bench-{index}"), 200)
    print(f"\n{label}")
    print(f"  {'call':<20} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for call, samples in times.items():
        if samples:
            ordered = sorted(samples)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            print(f"  {call:<20} {len(samples):>4} {statistics.median(samples):>10.1f} "
                  f"{p95:>8.1f} {ordered[-1]:>8.1f}")


async def main(deployments: int, jobs: int) -> None:
    await _scenario("without quotas", {}, deployments, jobs)
    await _scenario("with quotas (checked under the per-user lock)", QUOTAS, deployments, jobs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process (sim + gateway): {peak:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.deployments, args.jobs))
