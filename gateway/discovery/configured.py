"""The leader source an operator's settings ask for: ZooKeeper when configured, else static URLs."""

from __future__ import annotations

from gateway.config import Settings
from gateway.discovery.election import Election
from gateway.discovery.source import LeaderSource, Scheduler, StaticLeaderSource
from gateway.ensemble import parse_ensemble

LEGACY_MARATHON_PATH = "/marathon/leader"


def elections_for(settings: Settings) -> dict[Scheduler, Election]:
    marathon_path = settings.zk_marathon_path
    if (settings.zk_marathon_layout == "twitter-commons"
            and "zk_marathon_path" not in settings.model_fields_set):
        marathon_path = LEGACY_MARATHON_PATH
    return {
        "mesos": Election(settings.zk_mesos_path, "mesos"),
        "marathon": Election(marathon_path, settings.zk_marathon_layout),
        "chronos": Election(settings.zk_chronos_path, "curator"),
    }


def leader_source_for(settings: Settings) -> LeaderSource:
    if not settings.zk_hosts:
        return StaticLeaderSource({"marathon": settings.marathon_url,
                                   "chronos": settings.chronos_url,
                                   "mesos": settings.mesos_url})
    # kazoo is imported only by gateways that use ZooKeeper.
    from gateway.discovery.zookeeper import ZooKeeperLeaderSource

    return ZooKeeperLeaderSource(parse_ensemble(settings.zk_hosts), elections_for(settings),
                                 session_timeout=settings.zk_session_timeout)
