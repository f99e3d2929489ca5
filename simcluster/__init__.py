"""The simulated cluster: Mesos master + agents, Marathon, Chronos (see README.md).

A sibling of the ``gateway`` package, never importing it: it plays foreign systems
(tests/sim/test_independence.py checks this).
"""

from simcluster.cluster import SimCluster
from simcluster.config import SimConfig

__all__ = ["SimCluster", "SimConfig"]
