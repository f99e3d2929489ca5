"""Chronos command-line flags the simulation honours, with the real defaults."""

from __future__ import annotations

from dataclasses import dataclass

GPU_RESOURCES = "gpu_resources"
_AVAILABLE_FEATURES = {GPU_RESOURCES: "Enable support for GPU in Chronos (experimental)"}


@dataclass(frozen=True)
class ChronosOptions:
    """``gpu_build`` selects the PR #810 build (the ``gpus`` field exists); a released 3.0.2
    build ignores ``gpus`` entirely. ``enable_features`` is PR #810's ``--enable_features``:
    only with ``gpu_resources`` does the framework ask Mesos for GPU agents."""

    hostname: str = "127.0.0.1"
    http_credentials: str | None = None  # "user:password", --http_credentials
    http_realm: str = "Mesosphere"
    zk_path: str = "/chronos/state"
    zk_timeout: float = 10.0
    framework_name: str = "chronos"
    mesos_task_cpu: float = 0.1
    mesos_task_mem: float = 128.0
    mesos_task_disk: float = 256.0
    user: str = "root"
    failure_retry: float = 60.0  # simulated seconds (--failure_retry is in ms)
    disable_after_failures: int = 0
    reconciliation_interval: float = 600.0
    schedule_horizon: float = 60.0  # the main loop sleeps at most this long
    gpu_build: bool = False
    enable_features: tuple[str, ...] = ()
    mesos_task_gpu: int = 0

    def __post_init__(self) -> None:
        if self.enable_features and not self.gpu_build:
            raise ValueError("--enable_features exists only in the PR #810 (GPU) build of Chronos")
        unknown = [f for f in self.enable_features if f.strip() not in _AVAILABLE_FEATURES]
        if unknown:
            available = ", ".join(f"{k} - {v}" for k, v in _AVAILABLE_FEATURES.items())
            raise ValueError(
                f"Unknown features specified: {', '.join(unknown)}. Available features are: {available}"
            )
        if self.http_credentials is not None and ":" not in self.http_credentials:
            raise ValueError("--http_credentials must be user:password")

    @property
    def gpu_resources(self) -> bool:
        return self.gpu_build and GPU_RESOURCES in (f.strip() for f in self.enable_features)

    @classmethod
    def with_gpus(cls, enabled: bool, **flags: object) -> ChronosOptions:
        """The two builds a deployment may run: released, or PR #810 with GPUs switched on."""
        if enabled:
            return cls(gpu_build=True, enable_features=(GPU_RESOURCES,), **flags)  # type: ignore[arg-type]
        return cls(**flags)  # type: ignore[arg-type]
