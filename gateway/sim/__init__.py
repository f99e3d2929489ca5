"""The simulated cluster: Mesos master + agents, Marathon, Chronos (see README.md).

Nothing in this package imports from the rest of ``gateway``: it plays foreign systems.
"""

from gateway.sim.cluster import SimCluster
from gateway.sim.config import SimConfig

__all__ = ["SimCluster", "SimConfig"]
