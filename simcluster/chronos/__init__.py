"""Simulated Mesos Chronos 3.0.x (optionally the PR #810 GPU build) on the simulated Mesos
master. Entry point: :class:`ChronosInstance`; see README.md in this directory."""

from simcluster.chronos.instance import ChronosInstance
from simcluster.chronos.options import GPU_RESOURCES, ChronosOptions

__all__ = ["GPU_RESOURCES", "ChronosInstance", "ChronosOptions"]
