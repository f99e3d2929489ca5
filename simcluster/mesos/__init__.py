"""Simulated Apache Mesos: a master with agents, task life cycle and sandboxes."""

from simcluster.mesos.master import AgentSpec, MesosMaster, StatusListener
from simcluster.mesos.model import (
    Agent,
    Framework,
    PendingLaunch,
    StatusUpdate,
    Task,
    TaskSpec,
    TaskState,
)
from simcluster.mesos.resources import DeclineReason, Resources

__all__ = [
    "Agent",
    "AgentSpec",
    "DeclineReason",
    "Framework",
    "MesosMaster",
    "PendingLaunch",
    "Resources",
    "StatusListener",
    "StatusUpdate",
    "Task",
    "TaskSpec",
    "TaskState",
]
