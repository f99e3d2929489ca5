"""A leader failover under client traffic, written once for the discovery tests and the bench.

Two levels, the same plot: readers list and one writer submits while the scheduler's leader is
killed, until the new leader has served. ``gateway_failover`` plays it through the gateway's
HTTP API over the simulated cluster; ``client_failover`` through the upstream client alone, for
schedulers the test runs itself (stand-ins, a Chronos pair). Each returns what happened; the
tests assert on it, ``bench/leader_failover.py`` prints figures from it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from gateway.discovery.source import Leader, LeaderSource
from gateway.upstreams.chronos import chronos_has_no_leader
from gateway.upstreams.marathon import marathon_has_no_leader
from gateway.upstreams.upstream import UpstreamClient
from tests.support.failover_traffic import RecordingTransport, Traffic, drive
from tests.support.gateway_over_sim import GatewayOverSim
from tests.support.waiting import eventually

Scheduler = Literal["marathon", "chronos"]


@dataclass
class Failover:
    leader: Any  # the simulated instance that was killed
    standby: Any  # the one that took over
    killed: float  # time.monotonic() of the kill
    used: float  # when the gateway first got an answer from the standby
    traffic: Traffic
    transport: RecordingTransport


async def gateway_failover(gateway: GatewayOverSim, scheduler: Scheduler,
                           kill: Callable[[int], Awaitable[None]] | None = None, *,
                           warm_up: float = 1.0, linger: float = 1.0, timeout: float = 15.0,
                           prefix: str = "failover") -> Failover:
    """Users list and submit through the HTTP API while the leader of two instances is killed
    (``kill(index)``, by default the sim's ``kill_<scheduler>``); traffic goes on ``linger``
    seconds after the gateway first used the standby."""
    sim = gateway.sim
    instances: list[Any] = sim.marathons if scheduler == "marathon" else sim.chronoses
    url = (await gateway.ready())["leaders"][scheduler]["url"]
    leader = next(i for i in instances if i.url == url)
    [standby] = [i for i in instances if i is not leader]
    kill = kill or (sim.kill_marathon if scheduler == "marathon" else sim.kill_chronos)
    if scheduler == "marathon":
        route, submit = "/v1/deployments", gateway.deploy
    else:
        route, submit = "/v1/jobs", gateway.submit_job

    gateway.transport.reached.clear()
    stop = asyncio.Event()
    running = asyncio.create_task(drive(
        read=lambda: gateway.users.get(route, headers=gateway.as_user()),
        write=lambda name: gateway.users.send(submit(name)),
        stop=stop, write_pause=0.1, prefix=prefix))
    try:
        await asyncio.sleep(warm_up)
        killed = time.monotonic()
        await kill(instances.index(leader))

        def standby_answered() -> float | None:
            return gateway.transport.first_answer_from(standby.url, killed)

        used = await eventually(standby_answered, timeout, interval=0.05)
        await asyncio.sleep(linger)
    finally:
        stop.set()
        traffic = await running
    return Failover(leader, standby, killed, used, traffic, gateway.transport)


@dataclass
class ClientFailover:
    first: Leader
    following: Leader | None
    killed: float
    traffic: Traffic
    transport: RecordingTransport


def chronos_job(name: str) -> dict[str, object]:
    return {"name": name, "command": "sleep 1", "schedule": "R1/2030-01-01T00:00:00Z/P1D",
            "epsilon": "PT60S", "owner": "ops@example.org", "cpus": 0.1, "mem": 32, "disk": 0}


async def client_failover(leaders: LeaderSource, scheduler: Scheduler,
                          kill: Callable[[Leader], Awaitable[None]], *, leader_wait: float,
                          warm_up: float = 0.5, linger: float = 0.5,
                          prefix: str = "failover") -> ClientFailover:
    """Traffic through an ``UpstreamClient`` while ``kill(leader)`` runs, until the next leader
    is known (within ``leader_wait``) and ``linger`` seconds more."""
    if scheduler == "marathon":
        no_leader, read_path, write_path = marathon_has_no_leader, "/v2/apps", "/v2/apps"

        def body(name: str) -> dict[str, object]:
            return {"id": f"/{name}"}
    else:
        no_leader, read_path = chronos_has_no_leader, "/v1/scheduler/jobs"
        write_path, body = "/v1/scheduler/iso8601", chronos_job
    transport = RecordingTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        client = UpstreamClient(scheduler, http, leaders, no_leader=no_leader,
                                leader_wait=leader_wait)
        first = await leaders.wait_for_change(scheduler, None, 10.0)
        assert first is not None, f"no {scheduler} leader to kill"
        stop = asyncio.Event()
        running = asyncio.create_task(drive(
            read=lambda: client.request("GET", read_path, idempotent=True),
            write=lambda name: client.request("POST", write_path, json=body(name),
                                            idempotent=False),
            stop=stop, prefix=prefix))
        try:
            await asyncio.sleep(warm_up)
            killed = time.monotonic()
            await kill(first)
            following = await leaders.wait_for_change(scheduler, first, leader_wait)
            await asyncio.sleep(linger)
        finally:
            stop.set()
            traffic = await running
    return ClientFailover(first, following, killed, traffic, transport)
