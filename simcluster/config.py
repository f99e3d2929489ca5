"""Configuration of the simulated cluster (the public ``SimConfig`` contract)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimConfig:
    agents: int = 2
    agent_cpus: float = 8.0
    agent_mem: float = 32768.0
    agent_disk: float = 102400.0
    agent_gpus: int = 1
    # Mesos' default agent port resource is [31000-32000]; all agents share the loopback
    # address, so a port used on one agent is unavailable on the others.
    port_range: tuple[int, int] = (31000, 32000)
    marathon_instances: int = 1
    chronos_instances: int = 1
    chronos_gpus: bool = True
    marathon_features: tuple[str, ...] = ("gpu_resources",)
    # Marathon's --local_port_min/--local_port_max for service ports.
    service_port_range: tuple[int, int] = (10000, 20000)
    zk_hosts: str | None = None
    zk_mesos_path: str = "/mesos"
    zk_marathon_path: str = "/marathon"
    zk_chronos_path: str = "/chronos/state"
    credentials: tuple[str, str] | None = None
    faults: bool = False
    time_scale: float = 1.0
    host: str = "127.0.0.1"
    # How Marathon answers without a leader and how standbys treat /v2/events: "1.5" (503,
    # proxied stream) or "1.7"+ (502, 302 redirect).
    marathon_version: str = "1.9.0"

    def __post_init__(self) -> None:
        if self.agents < 1:
            raise ValueError("agents must be at least 1")
        if self.marathon_instances < 0 or self.chronos_instances < 0:
            raise ValueError("instance counts must not be negative")
        if self.marathon_instances > 1 and not self.zk_hosts:
            raise ValueError("several Marathon instances need zk_hosts to elect a leader")
        if self.chronos_instances > 1 and not self.zk_hosts:
            raise ValueError("several Chronos instances need zk_hosts to elect a leader")
        low, high = self.port_range
        if not 0 < low <= high < 65536:
            raise ValueError("port_range must be (low, high) within 1..65535")
