from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.zookeeper import ZooKeeperServer


@pytest.fixture
def zookeeper(zookeeper_server: ZooKeeperServer) -> ZooKeeperServer:
    """The session's shared server; discovery tests keep to paths of their own, no wipe needed."""
    return zookeeper_server


@pytest.fixture
def own_zookeeper(tmp_path: Path) -> Iterator[ZooKeeperServer]:
    """A server of the test's own, for tests that stop and restart it."""
    server = ZooKeeperServer(tmp_path)
    server.start()
    yield server
    server.stop()
