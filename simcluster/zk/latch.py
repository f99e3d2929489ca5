"""Apache Curator's ``LeaderLatch``, as Marathon and Chronos both use it, on kazoo.

A participant is an EPHEMERAL_SEQUENTIAL ``<path>/_c_<uuid>-latch-<10 digits>`` node holding
its id (``host:port``) as UTF-8; ``_c_<uuid>-`` is Curator's ``withProtection()`` prefix. The
lowest sequence after the last ``latch-`` leads.

Like Curator, a participant stops leading as soon as its ZooKeeper connection is suspended or
its session lost, and once connected again it drops its node and queues up at the back: a
leader cut off from ZooKeeper must not go on leading beside the one elected meanwhile.

kazoo calls back on its own threads; ``on_change`` must hand over to the event loop itself.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (
    ConnectionClosedError,
    ConnectionLoss,
    NoNodeError,
    SessionExpiredError,
)
from kazoo.recipe.watchers import ChildrenWatch

log = logging.getLogger(__name__)

# Called from kazoo's threads with (leader participant id or None, whether we lead).
LeaderCallback = Callable[[str | None, bool], None]


def latch_sequence(name: str) -> int | None:
    _, found, suffix = name.rpartition("latch-")
    return int(suffix) if found and suffix.isdigit() else None


class CuratorLatch:
    def __init__(
        self, zk: KazooClient, path: str, participant_id: str, on_change: LeaderCallback
    ) -> None:
        self._zk = zk
        self.path = path.rstrip("/")
        self.participant_id = participant_id
        self._on_change = on_change
        self.node: str | None = None
        self._closed = False
        self._interrupted = False

    def start(self) -> None:
        """Blocking (kazoo): join the election and start watching it."""
        self._zk.ensure_path(self.path)
        self._zk.add_listener(self._connection_changed)
        self._join()
        ChildrenWatch(self._zk, self.path, self._children_changed)

    def leader_id(self) -> str:
        """``LeaderLatch.getLeader().getId()``: ``""`` when nobody is in the election."""
        for _ in range(3):
            ranked = self._ranked(self._zk.get_children(self.path))
            if not ranked:
                return ""
            try:
                data, _ = self._zk.get(f"{self.path}/{ranked[0]}")
            except NoNodeError:
                continue  # the leader left between the two reads
            return bytes(data).decode()
        return ""

    def rejoin(self) -> None:
        """Leave and re-enter at the back of the line (Marathon's ``DELETE /v2/leader``)."""
        self.leave()
        self._closed = False
        self._join()
        self._children_changed(self._zk.get_children(self.path))

    def leave(self) -> None:
        """Delete our node and ignore the election until ``rejoin``."""
        self._closed = True
        node, self.node = self.node, None
        if node is not None:
            with contextlib.suppress(NoNodeError):
                self._zk.delete(node)

    def close(self) -> None:
        """The process shuts down: leave for good."""
        self._zk.remove_listener(self._connection_changed)
        # Without a session (it expired, or is being closed) the ephemeral node is gone with it.
        with contextlib.suppress(SessionExpiredError, ConnectionClosedError, ConnectionLoss):
            self.leave()

    def abandon(self) -> None:
        """The process died (``kill -9``): stop reacting, leave the node to the session's fate."""
        self._closed = True
        self._zk.remove_listener(self._connection_changed)

    def _join(self) -> None:
        prefix = f"{self.path}/_c_{uuid.uuid4()}-latch-"
        self.node = self._zk.create(
            prefix, self.participant_id.encode(), ephemeral=True, sequence=True, makepath=True
        )

    @staticmethod
    def _ranked(children: list[str]) -> list[str]:
        latches = [name for name in children if latch_sequence(name) is not None]
        return sorted(latches, key=lambda name: latch_sequence(name) or 0)

    def _children_changed(self, children: list[str]) -> bool | None:
        # Keeps watching while closed: a ``rejoin`` reuses this watch.
        if self._closed:
            return None
        for name in self._ranked(children):
            try:
                data, _ = self._zk.get(f"{self.path}/{name}")
            except NoNodeError:
                continue
            leads = self.node is not None and self.node.rsplit("/", 1)[-1] == name
            self._on_change(bytes(data).decode(), leads)
            return None
        self._on_change(None, False)
        return None

    def _connection_changed(self, state: str) -> None:
        if self._closed:
            return
        if state in (KazooState.SUSPENDED, KazooState.LOST):
            self._interrupted = True
            if state == KazooState.LOST:
                self.node = None  # the session, and with it the ephemeral node, is gone
            self._on_change(None, False)
        elif state == KazooState.CONNECTED and self._interrupted:
            # Curator resets on RECONNECTED: a new node at the back of the line. Listeners
            # must not block, so on a worker.
            self._interrupted = False
            self._zk.handler.spawn(self._requeue)

    def _requeue(self) -> None:
        try:
            self.rejoin()
        except Exception:
            log.exception("could not rejoin the leader election under %s", self.path)
