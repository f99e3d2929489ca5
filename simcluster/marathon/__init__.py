"""Simulated Marathon (REST v2, events, health checks, leader election) on the sim's Mesos."""

from simcluster.marathon.instance import MarathonInstance

__all__ = ["MarathonInstance"]
