"""Where the Mesos master, the Marathon leader and the Chronos leader are right now."""

from gateway.discovery.source import Leader, LeaderSource, Scheduler, StaticLeaderSource

__all__ = ["Leader", "LeaderSource", "Scheduler", "StaticLeaderSource"]
