"""A Mesos master and one or more Chronos instances in the current event loop, without the
rest of the simulated cluster: for tests and for trying the Chronos API by hand."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simcluster.chronos.instance import ChronosInstance
from simcluster.chronos.options import ChronosOptions
from simcluster.clock import SimClock
from simcluster.mesos import AgentSpec, MesosMaster

DEFAULT_AGENTS = (AgentSpec(cpus=4, mem=16384, disk=100_000, gpus=0, port_range=(31000, 31099)),)


@dataclass
class ChronosCluster:
    master: MesosMaster
    clock: SimClock
    instances: list[ChronosInstance] = field(default_factory=list)

    @property
    def chronos(self) -> ChronosInstance:
        return self.instances[0]


@contextlib.asynccontextmanager
async def standalone(
    workdir: Path,
    *,
    agents: Sequence[AgentSpec] = DEFAULT_AGENTS,
    time_scale: float = 1.0,
    options: ChronosOptions | None = None,
    zk_hosts: str | None = None,
    instances: int = 1,
) -> AsyncIterator[ChronosCluster]:
    clock = SimClock(time_scale)
    master = MesosMaster(agents, clock=clock, workdir=workdir)
    await master.start()
    cluster = ChronosCluster(master, clock)
    try:
        for _ in range(instances):
            instance = ChronosInstance(master, clock, options=options, zk_hosts=zk_hosts)
            cluster.instances.append(instance)
            await instance.start()
        yield cluster
    finally:
        for instance in cluster.instances:
            await instance.stop()
        await master.stop()
