"""Curator 2.11 ``LeaderLatch`` as Chronos uses it, on kazoo.

Each instance creates ``<candidate>/_c_<uuid>-latch-<seq>`` (EPHEMERAL_SEQUENTIAL; the
``_c_<uuid>-`` prefix is Curator's ``withProtection``) holding the UTF-8 bytes of
``host:port``. The participant whose node has the lowest sequence number (the text after the
last ``latch-``) leads. kazoo calls back on its own threads; ``on_change`` must hand over to
the event loop itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import NoNodeError
from kazoo.recipe.watchers import ChildrenWatch

log = logging.getLogger(__name__)


def latch_sort_key(child: str) -> str:
    return child.rsplit("latch-", 1)[1]


class LeaderLatch:
    def __init__(
        self,
        client: KazooClient,
        path: str,
        participant_id: str,
        on_change: Callable[[bool], None],
    ) -> None:
        self._client = client
        self.path = path.rstrip("/")
        self.participant_id = participant_id
        self._on_change = on_change
        self._node: str | None = None
        self._leader = False
        self._closed = False
        self._interrupted = False
        self._lock = threading.Lock()

    @property
    def node(self) -> str | None:
        return self._node

    def start(self) -> None:
        """Blocking: join the election and start watching it."""
        self._client.add_listener(self._connection_changed)
        self._create_node()
        ChildrenWatch(self._client, self.path, self._children_changed)

    def close(self) -> None:
        self._closed = True
        self._client.remove_listener(self._connection_changed)
        node, self._node = self._node, None
        if node is not None:
            try:
                self._client.delete(node)
            except Exception:  # the session may already be gone
                log.debug("latch node %s already gone", node)
        self._set_leader(False)

    def abandon(self) -> None:
        """The process died: stop reacting, leave the node to the session's fate."""
        self._closed = True
        self._client.remove_listener(self._connection_changed)

    def leader_id(self) -> str:
        """``LeaderLatch.getLeader().getId()``: ``""`` when nobody is in the election."""
        for _ in range(3):
            children = [c for c in self._client.get_children(self.path) if "latch-" in c]
            if not children:
                return ""
            first = min(children, key=latch_sort_key)
            try:
                data, _ = self._client.get(f"{self.path}/{first}")
            except NoNodeError:
                continue  # the leader left between the two reads
            return bytes(data).decode("utf-8")
        return ""

    def _create_node(self) -> None:
        prefix = f"{self.path}/_c_{uuid.uuid4()}-latch-"
        self._node = self._client.create(
            prefix, self.participant_id.encode("utf-8"), ephemeral=True, sequence=True, makepath=True
        )

    def _children_changed(self, children: list[str]) -> bool | None:
        if self._closed:
            return False  # stop watching
        latches = sorted((c for c in children if "latch-" in c), key=latch_sort_key)
        mine = self._node.rsplit("/", 1)[1] if self._node else None
        self._set_leader(bool(latches) and latches[0] == mine)
        return None

    def _connection_changed(self, state: str) -> None:
        if self._closed:
            return
        if state in (KazooState.SUSPENDED, KazooState.LOST):
            self._interrupted = True
            self._set_leader(False)
            if state == KazooState.LOST:
                self._node = None  # the session, and with it the ephemeral node, is gone
        elif state == KazooState.CONNECTED and self._interrupted:
            # Curator's LeaderLatch resets on RECONNECTED: it drops its node and queues up
            # again at the back. Listeners must not block, so do it on a worker.
            self._interrupted = False
            self._client.handler.spawn(self._rejoin)

    def _rejoin(self) -> None:
        try:
            old, self._node = self._node, None
            if old is not None:
                with contextlib.suppress(NoNodeError):
                    self._client.delete(old)
            self._create_node()
            self._children_changed(self._client.get_children(self.path))
        except Exception:
            log.exception("could not rejoin the Chronos leader election")

    def _set_leader(self, leader: bool) -> None:
        with self._lock:
            if leader == self._leader:
                return
            self._leader = leader
        self._on_change(leader)
