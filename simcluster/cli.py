"""``gateway-sim`` (also ``gateway sim`` and ``python -m simcluster``): the simulated cluster
alone, until interrupted, printing its URLs as JSON."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

from simcluster.cluster import SimCluster
from simcluster.config import SimConfig


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--zk", help="ZooKeeper HOST:PORT[,...] to register Mesos and "
                        "Marathon/Chronos leader latches in (needed for several instances)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--agents", type=int, default=2, help="Mesos agents")
    parser.add_argument("--agent-cpus", type=float, default=8.0, help="CPUs per agent")
    parser.add_argument("--agent-mem", type=float, default=32768.0, help="MiB per agent")
    parser.add_argument("--agent-disk", type=float, default=102400.0, help="MiB per agent")
    parser.add_argument("--agent-gpus", type=int, default=1, help="GPUs per agent")
    parser.add_argument("--marathon-instances", type=int, default=1,
                        help="Marathon instances (more than one needs --zk: they elect a leader)")
    parser.add_argument("--chronos-instances", type=int, default=1,
                        help="Chronos instances (more than one needs --zk: they elect a leader)")
    parser.add_argument("--no-chronos-gpus", action="store_true",
                        help="run a Chronos build without the GPU patch")
    parser.add_argument("--credentials", help="user:password for Basic auth on Marathon/Chronos")
    parser.add_argument("--faults", action="store_true", help="enable /__sim__/faults routes")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="simulated seconds per real second")


def config_from_args(args: argparse.Namespace) -> SimConfig:
    credentials = None
    if args.credentials:
        user, _, password = args.credentials.partition(":")
        credentials = (user, password)
    return SimConfig(
        agents=args.agents, agent_cpus=args.agent_cpus, agent_mem=args.agent_mem,
        agent_disk=args.agent_disk, agent_gpus=args.agent_gpus,
        marathon_instances=args.marathon_instances, chronos_instances=args.chronos_instances,
        chronos_gpus=not args.no_chronos_gpus, zk_hosts=args.zk, credentials=credentials,
        faults=args.faults, time_scale=args.time_scale, host=args.host,
    )


async def _serve(config: SimConfig) -> None:
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


def run_sim(args: argparse.Namespace, prog: str = "gateway-sim") -> int:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"{prog}: {exc}", flush=True)
        return 2
    asyncio.run(_serve(config))
    return 0


def build_parser(prog: str = "gateway-sim") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="The simulated cluster alone (Marathon, Chronos, a Mesos master and agents), "
                    "until interrupted, printing its URLs as JSON.")
    add_sim_arguments(parser)
    return parser


def main(argv: list[str] | None = None, prog: str = "gateway-sim") -> int:
    """``prog`` names the command the user typed, in usage and error lines."""
    parser = build_parser(prog)
    return run_sim(parser.parse_args(argv), prog)
