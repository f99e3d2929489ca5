"""Where the Mesos master, the Marathon leader and the Chronos leader are right now.

``configured.leader_source_for(settings)`` gives a ``ZooKeeperLeaderSource`` (kazoo watches,
imported only then) when ``GATEWAY_ZK_HOSTS`` is set, else a ``StaticLeaderSource`` of the
configured URLs.
"""

from gateway.discovery.election import Election, select_leader
from gateway.discovery.source import Leader, LeaderSource, Scheduler, StaticLeaderSource
from gateway.ensemble import Ensemble, parse_ensemble

__all__ = ["Election", "Ensemble", "Leader", "LeaderSource", "Scheduler", "StaticLeaderSource",
           "parse_ensemble", "select_leader"]
