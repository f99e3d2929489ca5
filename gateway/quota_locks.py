"""Per-user locks held while a quota is checked and the workload created.

``LocalQuotaLock`` serialises one process only: correct for a single replica. Several replicas
need ``ZooKeeperQuotaLock`` (kazoo's Lock recipe, one lock node per user). It opens no session of
its own: it borrows leader discovery's (``ZooKeeperLeaderSource`` is a ``ZooKeeperSession``), so a
replica holds one ZooKeeper session, whose connection state discovery follows; the lock answers
503 while that state is not "connected".
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, runtime_checkable

from gateway.errors import UpstreamUnavailable

log = logging.getLogger(__name__)


class QuotaLock(Protocol):
    def hold(self, owner: str) -> AbstractAsyncContextManager[None]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@runtime_checkable
class ZooKeeperSession(Protocol):
    """A kazoo client started, stopped and watched by its owner (leader discovery)."""

    @property
    def kazoo(self) -> Any: ...  # the KazooClient; None while stopped

    @property
    def connected(self) -> bool: ...


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

    def __init__(self, session: ZooKeeperSession, path: str, *, timeout: float = 10.0) -> None:
        self._session = session
        self._path = path.rstrip("/")
        self._timeout = timeout
        self._local = LocalQuotaLock(timeout)
        self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="quota-lock")

    async def start(self) -> None:
        return None  # the session is started (and stopped, after this lock) by its owner

    @property
    def connected(self) -> bool:
        return self._session.connected and self._session.kazoo is not None

    async def stop(self) -> None:
        self._executor.shutdown(wait=False)

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        client = self._session.kazoo  # read once: discovery may be stopping meanwhile
        if client is None or not self._session.connected:
            raise UpstreamUnavailable(
                "ZooKeeper is not reachable, so quotas cannot be checked; try again shortly.",
                extra={"scheduler": "zookeeper"})
        async with self._local.hold(owner):
            lock = client.Lock(f"{self._path}/{owner}", identifier=socket.gethostname())
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
