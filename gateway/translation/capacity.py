"""The cluster's capacity, read from the Mesos master's state. Pure.

Two questions are answered here: could *any* agent ever hold a request (else it would wait for
ever, so it is refused at submit), and what is there now (totals, free amounts, and the agents
grouped by size) for the deploy decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.errors import InvalidInput
from gateway.models.capacity import AgentGroup, Amount, Capacity, FreeCount, Waiting
from gateway.models.common import Hardware

# Our field names, the Mesos resource names, and how a sentence names one unit.
RESOURCES = (("gpus", "gpus", "GPU"), ("cpus", "cpus", "CPU"), ("memory", "mem", "MiB of memory"),
             ("disk", "disk", "MiB of disk"))
_COUNTED = {"GPU", "CPU"}  # units that take a plural "s"


@dataclass(frozen=True)
class AgentResources:
    total: dict[str, float]  # by our field name
    free: dict[str, float]


def agents_from_state(state: dict[str, Any]) -> list[AgentResources]:
    """Every active agent's total and free resources (total minus what tasks use)."""
    agents = []
    for agent in state.get("slaves") or []:
        if not isinstance(agent, dict) or agent.get("active") is False or \
                not isinstance(agent.get("resources"), dict):
            continue  # gone, or of unknown size: it neither allows nor refuses anything
        total = _resources(agent.get("resources"))
        used = _resources(agent.get("used_resources"))
        agents.append(AgentResources(total=total, free={k: max(total[k] - used[k], 0.0)
                                                        for k in total}))
    return agents


def _resources(value: object) -> dict[str, float]:
    document = value if isinstance(value, dict) else {}
    amounts = {}
    for ours, mesos, _ in RESOURCES:
        raw = document.get(mesos, 0)
        amounts[ours] = float(raw) if isinstance(raw, int | float) else 0.0
    return amounts


def check_fits_some_agent(hardware: Hardware, agents: list[AgentResources]) -> None:
    """Refuse (422) a request no agent of the cluster could hold even when idle.

    Without agents nothing is known (they may be restarting), so nothing is refused.
    """
    if not agents:
        return
    asked = hardware.model_dump()
    errors = []
    for ours, _, unit in RESOURCES:
        largest = max(agent.total[ours] for agent in agents)
        if asked[ours] > largest:
            plural = "s" if unit in _COUNTED and largest != 1 else ""
            errors.append({"field": f"hardware.{ours}",
                           "message": f"the largest agent has {_amount(largest)} {unit}{plural}"})
    if not errors and not any(all(asked[ours] <= agent.total[ours] for ours, _, _ in RESOURCES)
                              for agent in agents):
        errors.append({"field": "hardware",
                       "message": "no single agent has all of it: " + _sizes(agents)})
    if errors:
        raise InvalidInput("No agent of this cluster could ever hold this request, so it would "
                           "wait for ever: " + "; ".join(
                               f"{e['field']}: {e['message']}" for e in errors) + ".", errors)


def _sizes(agents: Iterable[AgentResources]) -> str:
    sizes = sorted({_size(agent.total) for agent in agents})
    return ", ".join(f"{_amount(g)} GPU, {_amount(c)} CPU, {_amount(m)} MiB"
                     for g, c, m, _ in sizes)


def _size(amounts: dict[str, float]) -> tuple[float, float, float, float]:
    return (amounts["gpus"], amounts["cpus"], amounts["memory"], amounts["disk"])


def _amount(value: float) -> str:
    return f"{value:g}"


def capacity_view(agents: list[AgentResources], waiting: Waiting) -> Capacity:
    """Totals and free amounts, and the agents grouped by size with how many have what free."""
    def amount(ours: str) -> Amount:
        return Amount(total=sum(a.total[ours] for a in agents),
                      free=sum(a.free[ours] for a in agents))

    groups: dict[tuple[float, float, float, float], list[AgentResources]] = {}
    for agent in agents:
        groups.setdefault(_size(agent.total), []).append(agent)
    return Capacity(
        gpus=amount("gpus"), cpus=amount("cpus"), memory=amount("memory"), disk=amount("disk"),
        agents=[AgentGroup(
            gpus=gpus, cpus=cpus, memory=memory, disk=disk, count=len(members),
            free={ours: [FreeCount(amount=free, agents=count) for free, count in sorted(
                Counter(m.free[ours] for m in members).items(), reverse=True)]
                  for ours, _, _ in RESOURCES})
            for (gpus, cpus, memory, disk), members in sorted(groups.items(), reverse=True)],
        waiting=waiting)
