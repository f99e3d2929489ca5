"""The read view's memory: the gateway's Marathon apps by id and by owner, and the launch queue.

No I/O. Every read of Marathon takes a ticket before it is sent; what it brings back is applied
only over data read earlier (a lower ticket), so an answer that arrives late never undoes a newer
one, whatever order the reads finish in. Versions count changes, per owner and overall, so a list
can be rendered once per version and tagged with it.

Each app is held as the compact JSON of its trimmed form (gateway/read_view/trim.py), a third of
its size as Python objects, and decoded when read: reads are rare next to renders being reused
(one decode per app per version of a list), and ten thousand apps stay a few megabytes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.translation.deployments import OWNER_LABEL

App = dict[str, Any]
QueueEntry = dict[str, Any]


@dataclass
class _Entry:
    raw: bytes  # the trimmed app, compact JSON
    owner: str
    ticket: int
    waits: bool  # wants a task and runs none: the launch queue says why

    @property
    def app(self) -> App:
        value: App = json.loads(self.raw)
        return value


def _compact(app: App) -> bytes:
    return json.dumps(app, separators=(",", ":"), ensure_ascii=False).encode()


class AppTable:
    def __init__(self) -> None:
        self._tickets = itertools.count(1)
        self._apps: dict[str, _Entry] = {}
        self._by_owner: dict[str, dict[str, None]] = {}  # insertion-ordered set of app ids
        self._gone: dict[str, int] = {}  # app id -> ticket of the read that found it gone
        self._queue: dict[str, QueueEntry] = {}
        self._queue_ticket = 0
        self.version = 0
        self._owner_versions: dict[str, int] = {}
        self._waiting = 0  # entries that wait

    def ticket(self) -> int:
        """Take one before sending a read; pass it with what the read brought back."""
        return next(self._tickets)

    def __len__(self) -> int:
        return len(self._apps)

    def __contains__(self, app_id: object) -> bool:
        return app_id in self._apps

    # -- writing ------------------------------------------------------------------------------

    def put(self, app: App, ticket: int) -> bool:
        """Store an app (already trimmed) read with ``ticket``; False when newer data is held."""
        app_id = str(app["id"])
        held = self._apps.get(app_id)
        if (held is not None and held.ticket > ticket) or self._gone.get(app_id, 0) > ticket:
            return False
        self._gone.pop(app_id, None)
        owner = str(app["labels"].get(OWNER_LABEL, ""))
        raw = _compact(app)
        if held is not None:
            held.ticket = ticket
            if held.raw == raw and held.owner == owner:
                return True
            self._unindex(app_id, held)
        waits = bool(app.get("instances", 1)) and not app.get("tasksRunning")
        self._apps[app_id] = _Entry(raw, owner, ticket, waits)
        self._waiting += waits
        self._by_owner.setdefault(owner, {})[app_id] = None
        self._changed(owner, *(() if held is None else (held.owner,)))
        return True

    def remove(self, app_id: str, ticket: int) -> bool:
        """The app was found gone by a read with ``ticket``; False when newer data is held."""
        held = self._apps.get(app_id)
        if held is not None and held.ticket > ticket:
            return False
        self._gone[app_id] = max(ticket, self._gone.get(app_id, 0))
        if held is not None:
            del self._apps[app_id]
            self._unindex(app_id, held)
            self._changed(held.owner)
        return True

    def replace_all(self, apps: Iterable[App], ticket: int) -> None:
        """A full read: what it lists is stored, what it does not is gone (unless read later)."""
        seen = set()
        for app in apps:
            seen.add(str(app["id"]))
            self.put(app, ticket)
        for app_id in [a for a in self._apps if a not in seen]:
            self.remove(app_id, ticket)
        # What the full read found gone stays gone without a mark; later marks are kept.
        self._gone = {a: t for a, t in self._gone.items() if t > ticket}

    def set_queue(self, queue: Mapping[str, QueueEntry], ticket: int) -> None:
        if ticket < self._queue_ticket:
            return
        self._queue_ticket = ticket
        before, self._queue = self._queue, dict(queue)
        owners = {self._apps[a].owner for a in before.keys() | self._queue.keys()
                  if a in self._apps and before.get(a) != self._queue.get(a)}
        if owners:
            self._changed(*owners)

    # -- reading ------------------------------------------------------------------------------

    def get(self, app_id: str) -> tuple[App, QueueEntry | None] | None:
        entry = self._apps.get(app_id)
        return None if entry is None else (entry.app, self._queue.get(app_id))

    def apps_of(self, owner: str | None) -> list[tuple[App, QueueEntry | None]]:
        """One owner's apps, or everyone's (``None``), each with its launch-queue entry."""
        ids = self._apps.keys() if owner is None else self._by_owner.get(owner, {}).keys()
        return [(self._apps[a].app, self._queue.get(a)) for a in ids]

    def owner_version(self, owner: str | None) -> int:
        return self.version if owner is None else self._owner_versions.get(owner, 0)

    def waiting(self) -> bool:
        """Whether some app wants a task and runs none, so the launch queue says why."""
        return self._waiting > 0

    # -- helpers ------------------------------------------------------------------------------

    def _unindex(self, app_id: str, held: _Entry) -> None:
        self._waiting -= held.waits
        ids = self._by_owner.get(held.owner)
        if ids is not None:
            ids.pop(app_id, None)
            if not ids:
                del self._by_owner[held.owner]

    def _changed(self, *owners: str) -> None:
        self.version += 1
        for owner in owners:
            self._owner_versions[owner] = self.version
