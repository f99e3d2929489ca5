"""/readyz tells operators and load balancers whether every scheduler's leader is known, and why not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from tests.support.contenders import Contender, master_info
from tests.support.paths import JOB_SPECS
from tests.support.waiting import eventually_sync
from tests.support.zookeeper import ZooKeeperServer


def _settings(**overrides: object) -> Settings:
    return Settings(oidc_issuers=["https://iam.example.org/"], job_specs_dir=JOB_SPECS, **overrides)


def test_static_urls_make_the_gateway_ready_and_say_where_each_leader_is():
    settings = _settings(marathon_url="http://127.0.0.1:1/", chronos_url="http://127.0.0.1:2",
                         mesos_url="http://127.0.0.1:3")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["source"] == "static"
    assert body["leaders"]["marathon"]["url"] == "http://127.0.0.1:1"


def test_a_scheduler_left_unconfigured_does_not_hold_readiness_back():
    # A gateway for services only: no Chronos URL and no ZooKeeper means no Chronos at all.
    with TestClient(create_app(_settings(chronos_url=""))) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["missing_leaders"] == []
    assert response.json()["not_configured"] == ["chronos"]


@pytest.mark.slow
def test_zookeeper_leaders_are_reported_and_a_zookeeper_outage_keeps_the_last_ones(own_zookeeper):
    zookeeper: ZooKeeperServer = own_zookeeper
    settings = _settings(zk_hosts=f"{zookeeper.hosts}/cluster", zk_session_timeout=4.0)
    instance = Contender(zookeeper.hosts)
    try:
        with TestClient(create_app(settings)) as client:
            eventually_sync(lambda: "does not exist" in client.get("/readyz").text)
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["zookeeper"]["state"] == "connected"
            assert "marathon (/cluster/marathon/leader-curator does not exist yet)" in \
                response.json()["detail"]

            instance.join_masters("/cluster/mesos", master_info("127.0.0.1", 5050))
            instance.join_latch("/cluster/marathon/leader-curator", "127.0.0.1:8080")
            instance.join_latch("/cluster/chronos/state/candidate", "127.0.0.1:4400")
            eventually_sync(lambda: client.get("/readyz").status_code == 200)
            body = client.get("/readyz").json()
            assert body["leaders"]["chronos"]["url"] == "http://127.0.0.1:4400"
            assert body["leaders"]["mesos"]["known_for_seconds"] >= 0
            assert body["stale"] is False
            metrics = client.get("/metrics").text
            assert "gateway_zookeeper_connected 1.0" in metrics
            assert 'gateway_leader_changes_total{scheduler="chronos"} 1.0' in metrics

            zookeeper.stop()
            eventually_sync(lambda: client.get("/readyz").json()["zookeeper"]["state"] != "connected")
            response = client.get("/readyz")
            assert response.status_code == 200
            assert "gateway_zookeeper_connected 0.0" in client.get("/metrics").text
            assert response.json()["stale"] is True
            assert "last known leaders" in response.json()["detail"]
            zookeeper.start()
            eventually_sync(lambda: client.get("/readyz").json()["zookeeper"]["state"] == "connected",
                        timeout=15)
            leaders = client.app.state.edges.leaders  # type: ignore[attr-defined]
        # Leaving the lifespan closed the ZooKeeper session (leaders and quota locks share it).
        assert leaders.status()["zookeeper"]["state"] == "stopped"
    finally:
        instance.die()
