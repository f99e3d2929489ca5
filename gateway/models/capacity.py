"""What the cluster has, for the deploy decision (``GET /v1/capacity``). Pure pydantic."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Amount(BaseModel):
    total: float = Field(description="Over every active agent")
    free: float = Field(description="Not used by any task now")


class FreeCount(BaseModel):
    amount: float = Field(description="This much free...")
    agents: int = Field(description="...on this many agents of the group")


class AgentGroup(BaseModel):
    """Agents of one size (memory and disk in MiB)."""

    gpus: float
    cpus: float
    memory: float
    disk: float
    count: int = Field(description="Agents of this size")
    free: dict[str, list[FreeCount]] = Field(
        description="Per resource (gpus, cpus, memory, disk): how many agents have each amount "
                    "free, largest amount first")


class Waiting(BaseModel):
    deployments: int | None = Field(description="Deployments waiting to be placed (null: "
                                                "Marathon could not be asked)")
    jobs: int | None = Field(description="Jobs queued in Chronos (null: not configured or not "
                                         "reachable)")


class Capacity(BaseModel):
    gpus: Amount
    cpus: Amount
    memory: Amount = Field(description="MiB")
    disk: Amount = Field(description="MiB")
    agents: list[AgentGroup] = Field(description="Largest first")
    waiting: Waiting
