"""A marathon-lb stand-in for the simulated cluster (see balancer.py)."""

from simcluster.lb.balancer import MarathonLB
from simcluster.lb.frontends import Frontend, frontends_from_apps

__all__ = ["Frontend", "MarathonLB", "frontends_from_apps"]
