"""The Chronos 3 job model (``BaseJob`` with its schedule-based and dependency-based cases).

A job is dependency-based exactly when ``parents`` is not None; otherwise ``schedule`` holds
its ISO 8601 repeating interval. Values are already defaulted (the deserializer replaces 0
cpus/mem/disk by the flag defaults), so the serializer writes concrete numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fetch:
    uri: str
    executable: bool = False
    cache: bool = False
    extract: bool = True
    output_file: str = ""


@dataclass(frozen=True)
class PortMapping:
    host_port: int
    container_port: int
    protocol: str = ""


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    protocol: str = ""  # IPv4 | IPv6 | "" (parsed, ignored at launch)
    labels: tuple[tuple[str, str], ...] = ()
    port_mappings: tuple[PortMapping, ...] = ()


@dataclass(frozen=True)
class ExternalVolume:
    name: str
    provider: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Volume:
    container_path: str
    host_path: str = ""
    mode: str = ""  # RW | RO | "" (unset)
    external: ExternalVolume | None = None


@dataclass(frozen=True)
class Container:
    image: str
    type: str = "DOCKER"  # DOCKER | MESOS
    network: str = "HOST"  # BRIDGE | HOST | USER
    network_name: str = ""
    network_infos: tuple[NetworkInfo, ...] = ()
    volumes: tuple[Volume, ...] = ()
    force_pull_image: bool = False
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Job:
    name: str
    command: str = ""
    shell: bool = True
    executor: str = ""
    executor_flags: str = ""
    task_info_data: str = ""
    retries: int = 2
    owner: str = ""
    owner_name: str = ""
    description: str = ""
    success_count: int = 0
    error_count: int = 0
    last_success: str = ""
    last_error: str = ""
    cpus: float = 0.1
    disk: float = 256.0
    mem: float = 128.0
    gpus: int = 0  # only read and written by a PR #810 build
    disabled: bool = False
    soft_error: bool = False
    data_processing_job_type: bool = False
    errors_since_last_success: int = 0
    fetch: tuple[Fetch, ...] = ()
    uris: tuple[str, ...] = ()
    environment_variables: tuple[tuple[str, str], ...] = ()
    arguments: tuple[str, ...] = ()
    high_priority: bool = False
    run_as_user: str = "root"
    concurrent: bool = False
    container: Container | None = None
    constraints: tuple[tuple[str, str, str], ...] = ()
    parents: tuple[str, ...] | None = None
    schedule: str = ""
    schedule_time_zone: str = ""

    @property
    def is_dependent(self) -> bool:
        return self.parents is not None

    @property
    def last_status(self) -> str:
        """``Exporter.getLastState``: fresh, failure or success. The ISO UTC strings compare
        in time order."""
        if not self.last_success and not self.last_error:
            return "fresh"
        if self.last_error and (not self.last_success or self.last_error >= self.last_success):
            return "failure"
        return "success"
