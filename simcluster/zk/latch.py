"""Apache Curator's LeaderLatch, as Marathon uses it, on kazoo.

A participant is an EPHEMERAL_SEQUENTIAL ``<path>/_c_<uuid>-latch-<10 digits>`` node holding
its id (``host:port``) as UTF-8; ``_c_<uuid>-`` is Curator's ``withProtection()`` prefix. The
lowest sequence after ``latch-`` leads.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from kazoo.recipe.watchers import ChildrenWatch

# Called from kazoo's thread with (leader participant id or None, whether we lead).
LeaderCallback = Callable[[str | None, bool], None]


def latch_sequence(name: str) -> int | None:
    _, found, suffix = name.rpartition("latch-")
    return int(suffix) if found and suffix.isdigit() else None


class CuratorLatch:
    def __init__(
        self, zk: KazooClient, path: str, participant_id: str, on_change: LeaderCallback
    ) -> None:
        self._zk = zk
        self._path = path.rstrip("/")
        self._id = participant_id
        self._on_change = on_change
        self.node: str | None = None
        self._closed = False

    def start(self) -> None:
        """Blocking (kazoo): join the election and start watching."""
        self._zk.ensure_path(self._path)
        self._join()
        ChildrenWatch(self._zk, self._path, self._children_changed)

    def _join(self) -> None:
        prefix = f"{self._path}/_c_{uuid.uuid4()}-latch-"
        self.node = self._zk.create(
            prefix, self._id.encode(), ephemeral=True, sequence=True, makepath=True
        )

    def rejoin(self) -> None:
        """Leave and re-enter at the back of the line (``DELETE /v2/leader``)."""
        self.leave()
        self._closed = False
        self._join()
        self._children_changed(self._zk.get_children(self._path))

    def abandon(self) -> None:
        """The process died (``kill -9``): stop reacting, leave the node to the session's fate."""
        self._closed = True

    def leave(self) -> None:
        self._closed = True
        if self.node is not None:
            with contextlib.suppress(NoNodeError):
                self._zk.delete(self.node)
            self.node = None

    def _children_changed(self, children: list[str]) -> bool | None:
        if self._closed:
            return None
        ranked = sorted(
            (seq, name) for name in children if (seq := latch_sequence(name)) is not None
        )
        leader_id: str | None = None
        for _, name in ranked:
            try:
                data, _ = self._zk.get(f"{self._path}/{name}")
            except NoNodeError:
                continue
            leader_id = bytes(data).decode()
            leads = self.node is not None and self.node.rsplit("/", 1)[-1] == name
            self._on_change(leader_id, leads)
            return None
        self._on_change(None, False)
        return None
