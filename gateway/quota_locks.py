"""Per-user locks held while a quota is checked and the workload created.

``LocalQuotaLock`` serialises one process only: correct for a single replica. Several replicas
need ``ZooKeeperQuotaLock`` (kazoo's Lock recipe, one lock node per user).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from gateway.ensemble import Ensemble
from gateway.errors import UpstreamUnavailable

log = logging.getLogger(__name__)


class QuotaLock(Protocol):
    def hold(self, owner: str) -> AbstractAsyncContextManager[None]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _busy() -> UpstreamUnavailable:
    return UpstreamUnavailable("Another request of yours is being admitted; try again shortly.",
                               extra={"scheduler": "quota-lock"})


class LocalQuotaLock:
    """An asyncio lock per owner. Single replica only: other processes do not see it."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(owner, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), self._timeout)
        except TimeoutError:
            raise _busy() from None
        try:
            yield
        finally:
            # The lock stays in the map: one small object per user ever seen, and dropping it
            # while another coroutine waits on it would let a third create a second lock.
            lock.release()


class ZooKeeperQuotaLock:
    """kazoo's Lock recipe under ``<path>/<owner>``, shared by every replica.

    kazoo blocks threads, so acquire and release run in a small pool of our own. A local lock in
    front means one waiting thread per owner per process, so many requests of one user can never
    fill the pool with waiters while the holder's release waits for a thread.
    """

    def __init__(self, ensemble: Ensemble, path: str, *, timeout: float = 10.0,
                 session_timeout: float = 10.0) -> None:
        self._ensemble = ensemble
        self._path = path.rstrip("/")
        self._timeout = timeout
        self._session_timeout = session_timeout
        self._local = LocalQuotaLock(timeout)
        self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="quota-lock")
        self._client: Any = None

    async def start(self) -> None:
        from kazoo.client import KazooClient  # an edge: imported only where it is used
        from kazoo.retry import KazooRetry

        auth = [("digest", self._ensemble.digest)] if self._ensemble.digest else None
        self._client = KazooClient(
            hosts=self._ensemble.kazoo_hosts, timeout=self._session_timeout, auth_data=auth,
            connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=2.0))
        # Not waiting: the gateway starts while ZooKeeper is down; creations answer 503 until
        # the session is up, since without the lock a quota cannot be kept.
        self._client.start_async()

    @property
    def connected(self) -> bool:
        return self._client is not None and bool(self._client.connected)

    async def stop(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await self._run(client.stop)
            await self._run(client.close)
        self._executor.shutdown(wait=False)

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        if not self.connected:
            raise UpstreamUnavailable(
                "ZooKeeper is not reachable, so quotas cannot be checked; try again shortly.",
                extra={"scheduler": "zookeeper"})
        async with self._local.hold(owner):
            lock = self._client.Lock(f"{self._path}/{owner}", identifier=socket.gethostname())
            await self._acquire(lock)
            try:
                yield
            finally:
                await self._run(lock.release)

    async def _acquire(self, lock: Any) -> None:
        from kazoo.exceptions import KazooException, LockTimeout

        future = asyncio.get_running_loop().run_in_executor(
            self._executor, lambda: lock.acquire(blocking=True, timeout=self._timeout))
        try:
            acquired = await asyncio.shield(future)
        except asyncio.CancelledError:
            # The thread may still get the lock after we stopped waiting: give it back then.
            future.add_done_callback(lambda f: self._release_later(lock, f))
            raise
        except LockTimeout:
            raise _busy() from None
        except KazooException as exc:
            log.warning("quota lock for ZooKeeper failed: %s", type(exc).__name__)
            raise UpstreamUnavailable("ZooKeeper did not grant the quota lock.",
                                      extra={"scheduler": "zookeeper"}) from None
        if not acquired:
            raise _busy()

    def _release_later(self, lock: Any, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is None and future.result():
            self._executor.submit(lock.release)

    async def _run(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
