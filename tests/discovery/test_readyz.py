"""/readyz tells operators and load balancers whether every scheduler's leader is known, and why not."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from tests.support.background import BackgroundLoop
from tests.support.contenders import Contender, master_info
from tests.support.paths import JOB_SPECS
from tests.support.stand_in import StandIn
from tests.support.waiting import eventually_sync
from tests.support.zookeeper import ZooKeeperServer


def _settings(**overrides: object) -> Settings:
    return Settings(oidc_issuers=["https://iam.example.org/"], job_specs_dir=JOB_SPECS, **overrides)


@pytest.fixture
def listening() -> Iterator[list[int]]:
    """Three loopback ports where a scheduler answers (Marathon, Chronos, Mesos)."""
    background = BackgroundLoop()
    stand_ins = [StandIn() for _ in range(3)]
    try:
        for stand_in in stand_ins:
            background.run(stand_in.start())
        yield [stand_in.port for stand_in in stand_ins]
    finally:
        for stand_in in stand_ins:
            background.run(stand_in.crash())
        background.close()


def test_static_urls_make_the_gateway_ready_and_say_where_each_leader_is(listening):
    marathon, chronos, mesos = listening
    settings = _settings(marathon_url=f"http://127.0.0.1:{marathon}/",
                         chronos_url=f"http://127.0.0.1:{chronos}",
                         mesos_url=f"http://127.0.0.1:{mesos}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["unreached"] == {}
    assert body["source"] == "static"
    assert body["leaders"]["marathon"]["url"] == f"http://127.0.0.1:{marathon}"


def test_static_urls_where_nothing_listens_are_not_ready_naming_each_scheduler(listening):
    marathon, _, _ = listening
    # Bound but not listening: connections are refused, and no one else can take the ports.
    with socket.socket() as chronos, socket.socket() as mesos:
        chronos.bind(("127.0.0.1", 0))
        mesos.bind(("127.0.0.1", 0))
        settings = _settings(marathon_url=f"http://127.0.0.1:{marathon}/",
                             chronos_url=f"http://127.0.0.1:{chronos.getsockname()[1]}",
                             mesos_url=f"http://127.0.0.1:{mesos.getsockname()[1]}")
        with TestClient(create_app(settings)) as client:
            response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and sorted(body["unreached"]) == ["chronos", "mesos"]
    assert body["detail"].startswith("Not reached yet: ")
    assert "chronos (nothing answers at http://127.0.0.1:" in body["detail"]


def test_a_scheduler_left_unconfigured_does_not_hold_readiness_back(listening):
    # A gateway for services only: no Chronos URL and no ZooKeeper means no Chronos at all.
    marathon, _, mesos = listening
    settings = _settings(chronos_url="", marathon_url=f"http://127.0.0.1:{marathon}",
                         mesos_url=f"http://127.0.0.1:{mesos}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["missing_leaders"] == []
    assert response.json()["not_configured"] == ["chronos"]


@pytest.mark.slow
def test_zookeeper_leaders_are_reported_and_a_zookeeper_outage_keeps_the_last_ones(own_zookeeper,
                                                                                   listening):
    marathon, chronos, mesos = listening
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

            instance.join_masters("/cluster/mesos", master_info("127.0.0.1", mesos))
            instance.join_latch("/cluster/marathon/leader-curator", f"127.0.0.1:{marathon}")
            instance.join_latch("/cluster/chronos/state/candidate", f"127.0.0.1:{chronos}")
            eventually_sync(lambda: client.get("/readyz").status_code == 200)
            body = client.get("/readyz").json()
            assert body["leaders"]["chronos"]["url"] == f"http://127.0.0.1:{chronos}"
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
