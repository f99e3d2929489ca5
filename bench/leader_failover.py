"""What a leader failover costs the gateway's clients. Prints figures; it is not a test.

    .venv/bin/python -m bench.leader_failover [--rounds 5] [--session-timeout 2]

Scenarios, each against a real ZooKeeper (the Debian package) on loopback:

* ``marathon`` and ``chronos``: the simulated cluster with two instances of the scheduler and
  the gateway over HTTP; users list (3 readers) and deploy or submit jobs (1 writer) while the
  leader is killed (it leaves the election as its process exits), then a fresh instance joins
  for the next round.
* ``crash``: the leader's port closes but ZooKeeper names it until its session times out, as
  after a kill -9 or a lost machine; two HTTP stand-ins play the schedulers, reached through
  the gateway's upstream client (reads idempotent, submissions not).

For each round: the time from the kill, and from ZooKeeper noticing (the leader's node gone),
to the first answer the gateway got from the new leader; and the client requests that failed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kazoo.client import KazooClient

from gateway.discovery.election import Election
from gateway.discovery.source import Leader
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from gateway.ensemble import parse_ensemble
from tests.support.contenders import Contender
from tests.support.failover import Scheduler, client_failover, gateway_failover
from tests.support.failover_traffic import Traffic
from tests.support.gateway_over_sim import GatewayOverSim, gateway_over_sim
from tests.support.stand_in import StandIn
from tests.support.waiting import eventually
from tests.support.zookeeper import ZooKeeperServer


@dataclass
class Round:
    killed: float
    noticed: float
    used: float | None
    traffic: Traffic
    twice: int

    @property
    def after_kill(self) -> float | None:
        return None if self.used is None else self.used - self.killed

    @property
    def after_notice(self) -> float | None:
        return None if self.used is None else self.used - self.noticed

    @property
    def slowest_read(self) -> float:
        return max((o.finished - o.started for o in self.traffic.reads), default=0.0)


class NodeWatch:
    """An observer outside the gateway: when did ZooKeeper drop a given election node?

    Opening and closing block on ZooKeeper: do both in a thread, not on the event loop that
    serves the gateway and the simulated schedulers being measured.
    """

    def __init__(self, hosts: str, path: str) -> None:
        self._client = KazooClient(hosts=hosts)
        self._client.start(timeout=10)
        self._path = path
        self.gone: dict[str, float] = {}
        self._seen: set[str] = set()
        self._client.ensure_path(path)
        self._client.ChildrenWatch(path, self._changed)

    def _changed(self, children: list[str]) -> None:
        now, current = time.monotonic(), set(children)
        for node in self._seen - current:
            self.gone.setdefault(node, now)
        self._seen = current

    async def gone_at(self, node: str, timeout: float = 30.0) -> float:
        await eventually(lambda: node in self.gone, timeout, interval=0.005)
        return self.gone[node]

    def close(self) -> None:
        self._client.stop()
        self._client.close()


async def gateway_scenario(zookeeper: ZooKeeperServer, rounds: int,
                           scheduler: Scheduler) -> list[Round]:
    """Users list and submit through the gateway's HTTP API while the scheduler's leader dies;
    a fresh instance joins after each round so that two always contend."""
    marathon = scheduler == "marathon"
    results = []
    async with gateway_over_sim(zookeeper.hosts, marathons=2 if marathon else 1,
                                chronoses=1 if marathon else 2) as gateway:
        instances: list[Any] = gateway.sim.marathons if marathon else gateway.sim.chronoses
        path = "/marathon/leader-curator" if marathon else "/chronos/state/candidate"
        watch = await asyncio.to_thread(NodeWatch, zookeeper.hosts, path)
        try:
            for number in range(rounds):
                node = (await gateway.ready())["leaders"][scheduler]["node"]
                failover = await gateway_failover(gateway, scheduler, prefix=f"round{number}")
                noticed = await watch.gone_at(node)
                results.append(Round(failover.killed, noticed, failover.used, failover.traffic,
                                     await _made_twice(gateway, f"round{number}-")
                                     if marathon else failover.transport.repeated()))
                instances.remove(failover.leader)
                await (gateway.add_marathon() if marathon else gateway.add_chronos())
        finally:
            await asyncio.to_thread(watch.close)
    return results


async def _made_twice(gateway: GatewayOverSim, prefix: str) -> int:
    """Submissions Marathon holds more than one app of. Sends no longer tell: the gateway sends
    a create whose answer was lost again, and Marathon refuses it if the first one landed."""
    made = [d for d in await gateway.deployment_descriptions() if d.startswith(prefix)]
    return len(made) - len(set(made))


async def crash_scenario(zookeeper: ZooKeeperServer, rounds: int, session: float) -> list[Round]:
    return [await crash_round(zookeeper, session) for _ in range(rounds)]


async def crash_round(zookeeper: ZooKeeperServer, session: float) -> Round:
    path = f"/bench-{uuid.uuid4().hex[:6]}/chronos/state/candidate"
    stand_ins = [StandIn(), StandIn()]
    contenders = [Contender(zookeeper.hosts), Contender(zookeeper.hosts)]
    for stand_in, contender in zip(stand_ins, contenders, strict=True):
        await stand_in.start()
        contender.join_latch(path, f"127.0.0.1:{stand_in.port}")
    watch = await asyncio.to_thread(NodeWatch, zookeeper.hosts, path)
    leaders = ZooKeeperLeaderSource(parse_ensemble(zookeeper.hosts),
                                    {"chronos": Election(path, "curator")})
    await leaders.start()
    nodes: list[str] = []

    async def crash(leader: Leader) -> None:
        nodes.append(leaders.snapshot.nodes["chronos"])  # the leader's, before it goes
        await _crash(zookeeper.hosts, stand_ins, contenders, session, leader)

    try:
        failover = await client_failover(leaders, "chronos", crash, leader_wait=session + 5.0)
        noticed = await watch.gone_at(nodes[0])
    finally:
        await leaders.stop()
        await asyncio.to_thread(watch.close)
        for stand_in, contender in zip(stand_ins, contenders, strict=True):
            await stand_in.crash()
            contender.die()
    new = failover.following
    used = failover.transport.first_answer_from(new.url, failover.killed) if new else None
    return Round(failover.killed, noticed, used, failover.traffic, failover.transport.repeated())


async def _crash(hosts: str, stand_ins: list[StandIn], contenders: list[Contender], session: float,
                 leader: Leader) -> None:
    index = next(i for i, s in enumerate(stand_ins) if leader.url.endswith(f":{s.port}"))
    await stand_ins[index].crash()
    # ZooKeeper expires the dead process' session after its timeout, not before.
    await asyncio.sleep(session)
    await asyncio.to_thread(_expire, hosts, contenders[index].client)


def _expire(hosts: str, client: KazooClient) -> None:
    twin = KazooClient(hosts=hosts, client_id=client.client_id)
    twin.start(timeout=10)
    twin.stop()
    twin.close()


def report(name: str, results: list[Round]) -> None:
    def ms(values: list[float | None]) -> str:
        known = [v * 1000 for v in values if v is not None]
        if not known:
            return "n/a"
        missing = f" ({len(values) - len(known)} never)" if len(known) < len(values) else ""
        return f"median {statistics.median(known):7.1f} ms  max {max(known):7.1f} ms{missing}"

    reads = sum(len(r.traffic.reads) for r in results)
    writes = sum(len(r.traffic.writes) for r in results)
    print(f"\n{name}: {len(results)} failovers")
    print(f"  new leader used, after the kill:             {ms([r.after_kill for r in results])}")
    print(f"  new leader used, after ZooKeeper noticed:    {ms([r.after_notice for r in results])}")
    print(f"  ZooKeeper noticed, after the kill:           "
          f"{ms([r.noticed - r.killed for r in results])}")
    print(f"  slowest listing during a failover:           {ms([r.slowest_read for r in results])}")
    print(f"  listings failed:                             "
          f"{sum(len(r.traffic.failed_reads()) for r in results)} of {reads}")
    print(f"  submissions failed:                          "
          f"{sum(len(r.traffic.failed_writes()) for r in results)} of {writes}")
    print(f"  submissions made (Marathon) or sent (others) twice: "
          f"{sum(r.twice for r in results)}")


async def main(rounds: int, session: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        zookeeper = ZooKeeperServer(Path(tmp) / "zk")
        zookeeper.start()
        try:
            for scheduler in ("marathon", "chronos"):
                report(f"{scheduler} (simulated, through the gateway's HTTP API, leader exits)",
                       await gateway_scenario(zookeeper, rounds, scheduler))
            report(f"crash (port closed, ZooKeeper session expires after {session:g} s)",
                   await crash_scenario(zookeeper, rounds, session))
        finally:
            zookeeper.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="failovers per scenario")
    parser.add_argument("--session-timeout", type=float, default=2.0,
                        help="seconds ZooKeeper keeps a crashed leader's session (crash scenario)")
    args = parser.parse_args()
    # Reconnection chatter from kazoo and the simulated schedulers' shutdown is expected here.
    logging.disable(logging.ERROR)
    asyncio.run(main(args.rounds, args.session_timeout))
