"""Typed records of the simulated Mesos master: frameworks, agents, tasks, status updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from simcluster.mesos.resources import DeclineReason, Resources


class TaskState(StrEnum):
    STAGING = "TASK_STAGING"
    STARTING = "TASK_STARTING"
    RUNNING = "TASK_RUNNING"
    KILLING = "TASK_KILLING"
    FINISHED = "TASK_FINISHED"
    FAILED = "TASK_FAILED"
    KILLED = "TASK_KILLED"
    ERROR = "TASK_ERROR"
    LOST = "TASK_LOST"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {TaskState.FINISHED, TaskState.FAILED, TaskState.KILLED, TaskState.ERROR, TaskState.LOST}
)

TaskKind = Literal["service", "batch"]


@dataclass(frozen=True)
class TaskSpec:
    """What a framework asks the master to run.

    ``kind="service"`` runs until killed and answers HTTP on every allocated host port;
    ``kind="batch"`` runs ``duration`` simulated seconds and ends with ``exit_code``
    (0 -> TASK_FINISHED, anything else -> TASK_FAILED). Both can be overridden from ``env``
    (``SIM_FAIL``, ``SIM_DURATION``, ``SIM_EXIT_CODE``; see simcluster/README.md).
    """

    name: str
    resources: Resources
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    image: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    kind: TaskKind = "service"
    duration: float = 1.0
    exit_code: int = 0
    # Paths the task's HTTP server treats as health endpoints (all other paths answer 200 too,
    # unless the task is made unhealthy).
    health_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusUpdate:
    """One Mesos status update, as a scheduler receives it."""

    task_id: str
    framework_id: str
    agent_id: str
    state: TaskState
    timestamp: float
    message: str = ""
    reason: str | None = None
    source: str = "SOURCE_EXECUTOR"
    healthy: bool | None = None


@dataclass
class Task:
    task_id: str
    framework_id: str
    agent_id: str
    hostname: str
    spec: TaskSpec
    ports: list[int]
    sandbox: Path
    container_id: str
    state: TaskState = TaskState.STAGING
    statuses: list[StatusUpdate] = field(default_factory=list)
    staged_at: float = 0.0
    started_at: float | None = None
    exit_code: int | None = None


@dataclass
class Framework:
    framework_id: str
    name: str
    hostname: str
    capabilities: frozenset[str]
    registered_at: float
    webui_url: str = ""
    role: str = "*"
    user: str = "root"
    failover_timeout: float = 604800.0
    active: bool = True
    unregistered_at: float | None = None


@dataclass
class Agent:
    agent_id: str
    hostname: str
    port: int
    total: Resources
    port_range: tuple[int, int]
    registered_at: float
    used: Resources = field(default_factory=Resources)
    used_ports: set[int] = field(default_factory=set)
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def free(self) -> Resources:
        free_ports = self.port_range[1] - self.port_range[0] + 1 - len(self.used_ports)
        return Resources(
            cpus=self.total.cpus - self.used.cpus,
            mem=self.total.mem - self.used.mem,
            disk=self.total.disk - self.used.disk,
            gpus=self.total.gpus - self.used.gpus,
            ports=free_ports,
        )

    @property
    def pid(self) -> str:
        return f"slave(1)@{self.hostname}:{self.port}"


@dataclass
class PendingLaunch:
    """A launch request no agent could take yet. ``reasons`` counts, for the most recent
    placement round, how many agents declined for each reason (one agent can count for several
    reasons), which is the shape of Marathon's ``rejectSummaryLastOffers``."""

    task_id: str
    framework_id: str
    spec: TaskSpec
    since: float
    offers_processed: int = 0
    offers_declined: int = 0
    last_offer_at: float | None = None
    reasons: dict[DeclineReason, int] = field(default_factory=dict)
    # (agent id, reasons) for each agent that declined in the most recent round.
    declined_by: list[tuple[str, list[DeclineReason]]] = field(default_factory=list)
