"""Scalar and port resources of agents and tasks, and why a request does not fit.

The reason names are Marathon's ``NoOfferMatchReason`` values, so a framework can put them
straight into ``/v2/queue`` ``processedOffersSummary`` (Chronos just logs "Insufficient
resources").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeclineReason(StrEnum):
    INSUFFICIENT_CPUS = "InsufficientCpus"
    INSUFFICIENT_MEMORY = "InsufficientMemory"
    INSUFFICIENT_DISK = "InsufficientDisk"
    INSUFFICIENT_GPUS = "InsufficientGpus"
    INSUFFICIENT_PORTS = "InsufficientPorts"


# Comparing floats that were summed and subtracted many times needs some slack.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Resources:
    """What a task asks for, or what an agent has. ``gpus`` are whole devices; ``ports`` is a
    count of host ports (the agent picks concrete numbers from its range)."""

    cpus: float = 0.0
    mem: float = 0.0
    disk: float = 0.0
    gpus: int = 0
    ports: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpus + other.cpus,
            self.mem + other.mem,
            self.disk + other.disk,
            self.gpus + other.gpus,
            self.ports + other.ports,
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cpus - other.cpus,
            self.mem - other.mem,
            self.disk - other.disk,
            self.gpus - other.gpus,
            self.ports - other.ports,
        )

    def shortfalls(self, request: Resources) -> list[DeclineReason]:
        """Every resource in which ``self`` (free resources) cannot satisfy ``request``."""
        missing: list[DeclineReason] = []
        if request.cpus > self.cpus + _EPSILON:
            missing.append(DeclineReason.INSUFFICIENT_CPUS)
        if request.mem > self.mem + _EPSILON:
            missing.append(DeclineReason.INSUFFICIENT_MEMORY)
        if request.disk > self.disk + _EPSILON:
            missing.append(DeclineReason.INSUFFICIENT_DISK)
        if request.gpus > self.gpus:
            missing.append(DeclineReason.INSUFFICIENT_GPUS)
        if request.ports > self.ports:
            missing.append(DeclineReason.INSUFFICIENT_PORTS)
        return missing
