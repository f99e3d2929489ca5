"""Which leader source the settings give: static URLs without ZooKeeper, watches with it."""


import pytest
from pydantic import ValidationError

from gateway.config import Settings
from gateway.discovery import StaticLeaderSource
from gateway.discovery.configured import elections_for, leader_source_for
from gateway.discovery.zookeeper import ZooKeeperLeaderSource
from tests.support.paths import JOB_SPECS


def test_without_zookeeper_the_static_urls_are_the_leaders():
    source = leader_source_for(Settings(marathon_url="http://m:8080/", chronos_url="",
                                        mesos_url="http://master:5050"))
    assert isinstance(source, StaticLeaderSource)
    assert source.leader("marathon").url == "http://m:8080"
    assert source.leader("chronos") is None


def test_with_zookeeper_the_three_default_election_paths_are_watched():
    settings = Settings(zk_hosts="zk://zk1:2181,zk2:2181/prod")
    assert isinstance(leader_source_for(settings), ZooKeeperLeaderSource)
    elections = elections_for(settings)
    assert (elections["mesos"].path, elections["mesos"].layout) == ("/mesos", "mesos")
    assert (elections["marathon"].path, elections["marathon"].layout) == \
        ("/marathon/leader-curator", "curator")
    assert elections["chronos"].path == "/chronos/state/candidate"


def test_the_pre_1_5_marathon_layout_watches_marathon_leader_unless_a_path_is_given():
    legacy = elections_for(Settings(zk_hosts="zk1", zk_marathon_layout="twitter-commons"))
    assert (legacy["marathon"].path, legacy["marathon"].layout) == \
        ("/marathon/leader", "twitter-commons")
    chosen = elections_for(Settings(zk_hosts="zk1", zk_marathon_layout="twitter-commons",
                                    zk_marathon_path="/ha/marathon/leader"))
    assert chosen["marathon"].path == "/ha/marathon/leader"


@pytest.mark.parametrize("field, value", [("zk_hosts", "zk://zk1:notaport"),
                                          ("zk_marathon_path", "marathon/leader-curator"),
                                          ("zk_mesos_path", "/mesos/")])
def test_malformed_zookeeper_settings_are_refused_at_start(field, value):
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})


class _RecordingSource(StaticLeaderSource):
    stopped = False

    async def stop(self) -> None:
        self.stopped = True


def test_the_leader_source_is_stopped_when_a_later_edge_fails_to_start(monkeypatch):
    from fastapi.testclient import TestClient

    from gateway import app as app_module

    source = _RecordingSource({"marathon": "http://m:8080"})
    monkeypatch.setattr(app_module, "leader_source_for", lambda settings: source)

    class _BrokenLock(app_module.LocalQuotaLock):
        async def start(self) -> None:
            raise RuntimeError("the quota lock could not start")

    monkeypatch.setattr(app_module, "_quota_lock", lambda settings, leaders: _BrokenLock())
    settings = Settings(oidc_issuers=["https://iam.example.org/"],
                        job_specs_dir=JOB_SPECS)
    with pytest.raises(RuntimeError, match="quota lock"), TestClient(app_module.create_app(settings)):
        pass
    assert source.stopped
