from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.discovery.zookeeper_server import ZooKeeperServer


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    server = ZooKeeperServer(Path(tmp_path_factory.mktemp("zookeeper")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_zookeeper(tmp_path: Path) -> Iterator[ZooKeeperServer]:
    """A server of the test's own, for tests that stop and restart it."""
    server = ZooKeeperServer(tmp_path)
    server.start()
    yield server
    server.stop()
