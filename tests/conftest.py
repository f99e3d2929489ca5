"""Shared by every test folder: the ZooKeeper server fixture and the event loop async tests use."""

import pytest

pytest_plugins = ["tests.support.zookeeper"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # asyncio, where the gateway and the simulated cluster run; session-scoped so module-scoped
    # async fixtures (a shared simulated cluster) live on the tests' loop.
    return "asyncio"
