"""``python -m gateway.sim``: run the simulated cluster until interrupted, printing its URLs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

from gateway.sim.cluster import SimCluster
from gateway.sim.config import SimConfig


def _config(argv: list[str] | None) -> SimConfig:
    parser = argparse.ArgumentParser(prog="python -m gateway.sim", description=__doc__)
    parser.add_argument("--zk", help="ZooKeeper HOST:PORT[,...] to register in")
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--agent-cpus", type=float, default=8.0)
    parser.add_argument("--agent-mem", type=float, default=32768.0)
    parser.add_argument("--agent-gpus", type=int, default=1)
    parser.add_argument("--marathon-instances", type=int, default=1)
    parser.add_argument("--chronos-instances", type=int, default=1)
    parser.add_argument("--credentials", help="user:password for Basic auth")
    parser.add_argument("--faults", action="store_true", help="enable /__sim__/faults")
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    credentials = None
    if args.credentials:
        user, _, password = args.credentials.partition(":")
        credentials = (user, password)
    return SimConfig(
        agents=args.agents, agent_cpus=args.agent_cpus, agent_mem=args.agent_mem,
        agent_gpus=args.agent_gpus, marathon_instances=args.marathon_instances,
        chronos_instances=args.chronos_instances, zk_hosts=args.zk, credentials=credentials,
        faults=args.faults, time_scale=args.time_scale,
    )


async def _run(config: SimConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with SimCluster(config) as sim:
        urls = {"mesos": sim.mesos_url, "agents": sim.agent_urls,
                "marathon": sim.marathon_urls, "chronos": sim.chronos_urls}
        print(json.dumps(urls, indent=2), flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_run(_config(argv)))


if __name__ == "__main__":
    main()
