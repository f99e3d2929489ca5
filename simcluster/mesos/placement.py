"""Choosing an agent for a task, or explaining why none fits.

Mirrors the master's allocator as frameworks experience it: GPU agents are hidden from
frameworks without the ``GPU_RESOURCES`` capability (``--filter_gpu_resources``), and
non-GPU work goes to agents without free GPUs first, so GPU tasks are not starved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from simcluster.mesos.model import Agent, Framework, TaskSpec
from simcluster.mesos.ports import PortAllocator
from simcluster.mesos.resources import DeclineReason


@dataclass
class Placement:
    agent: Agent | None = None
    ports: list[int] = field(default_factory=list)
    offered: int = 0  # agents this framework was offered
    reasons: dict[DeclineReason, int] = field(default_factory=dict)
    declined_by: list[tuple[str, list[DeclineReason]]] = field(default_factory=list)


def candidate_agents(agents: Iterable[Agent], framework: Framework, spec: TaskSpec) -> list[Agent]:
    visible = list(agents)
    if "GPU_RESOURCES" not in framework.capabilities:
        visible = [a for a in visible if a.total.gpus == 0]
    if spec.resources.gpus == 0:
        visible.sort(key=lambda a: a.free.gpus > 0)  # stable: agent order otherwise
    return visible


def place(
    agents: list[Agent], framework: Framework, spec: TaskSpec, ports: PortAllocator
) -> Placement:
    """The first agent that fits (with its host ports reserved), else per-reason counts."""
    candidates = candidate_agents(agents, framework, spec)
    result = Placement(offered=len(candidates))
    if spec.resources.gpus > 0 and len(agents) > len(candidates):
        # Hidden GPU agents look, to the framework, like offers without GPUs for it.
        result.reasons[DeclineReason.INSUFFICIENT_GPUS] = len(agents) - len(candidates)
    for agent in candidates:
        missing = agent.free.shortfalls(spec.resources)
        chosen: list[int] = []
        if not missing and spec.resources.ports:
            chosen = ports.allocate(agent.port_range, spec.resources.ports)
            if len(chosen) < spec.resources.ports:
                missing = [DeclineReason.INSUFFICIENT_PORTS]
        if not missing:
            return Placement(agent=agent, ports=chosen, offered=len(candidates))
        for reason in missing:
            result.reasons[reason] = result.reasons.get(reason, 0) + 1
        result.declined_by.append((agent.agent_id, list(missing)))
    return result
