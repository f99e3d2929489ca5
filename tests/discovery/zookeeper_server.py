"""Alias: the real-ZooKeeper test server lives in ``tests.fixtures.zookeeper``.

Kept only for suites that still import it from here; new code imports the fixture module.
"""

from tests.fixtures.zookeeper import ZooKeeperServer

__all__ = ["ZooKeeperServer"]
