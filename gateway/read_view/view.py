"""The read view: the gateway's Marathon apps in memory, kept current by Marathon's event stream.

Filled by a full read (``/v2/apps`` by label, tasks embedded, and ``/v2/queue``), then each app
an event names is read again. The view is *live*, and reads are served from it, only while the
stream is attached and a full read made after it attached has succeeded; a full read follows
every (re)attachment, since events may have been missed while detached. Anything else (the
stream dropped or moved to a new Marathon leader, a read of Marathon failed) makes the view not
live until the next full read succeeds, and readers ask Marathon themselves meanwhile.

Everything runs on the event loop (no threads, no locks): background tasks follow the stream,
read what events name, poll the launch queue while some app waits, and re-read everything every
``resync_every`` seconds (the stream promises neither order nor delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

import httpx

from gateway.discovery import Leader, LeaderSource
from gateway.errors import GatewayError
from gateway.read_view.events import (
    ATTACHED,
    EVERY_APP,
    SUBSCRIBED,
    Event,
    apps_named,
    server_sent_events,
)
from gateway.read_view.table import App, AppTable, QueueEntry
from gateway.read_view.trim import trimmed_app, trimmed_queue_entry
from gateway.translation.deployments import all_deployments_selector, is_deployment
from gateway.upstreams.marathon import MarathonClient

log = logging.getLogger(__name__)

# Above this many apps named at once, one full read is cheaper than reading each.
_FULL_READ_ABOVE = 64
_PARALLEL_READS = 8
_QUEUE_POLL = 1.0  # seconds, while some app waits: offers change no event
_RETRY_FIRST, _RETRY_MAX = 0.1, 5.0

_Failure = (httpx.HTTPError, GatewayError, ValueError, KeyError, TypeError)


class ReadView:
    def __init__(self, marathon: MarathonClient, leaders: LeaderSource, *, group: str,
                 resync_every: float = 300.0, clock: Any = time.monotonic) -> None:
        self._marathon = marathon
        self._leaders = leaders
        self._group_prefix = group.rstrip("/") + "/"
        self._resync_every = resync_every
        self._clock = clock
        self.table = AppTable()
        # Tags of another view (an earlier start, another replica) never match this one's.
        self._epoch = secrets.token_hex(4)
        self._attached_ticket: int | None = None  # None: the stream is not attached
        self._live = False
        self._full_due = True
        self._named: set[str] = set()
        self._wake = asyncio.Event()
        self._queue_due = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_full: float | None = None
        self._problem = "starting"

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start following Marathon; returns at once (reads go to Marathon until live)."""
        self._tasks = [asyncio.create_task(self._follow_stream(), name="read-view-stream"),
                       asyncio.create_task(self._keep_current(), name="read-view-reads"),
                       asyncio.create_task(self._keep_queue_current(), name="read-view-queue")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._live = False

    # -- what readers use ---------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self._live

    def tag(self, owner: str | None) -> str | None:
        """A version of one owner's (``None``: everyone's) apps, or None when not live."""
        if not self._live:
            return None
        return f"{self._epoch}.{'*' if owner is None else owner}.{self.table.owner_version(owner)}"

    def status(self) -> dict[str, Any]:
        """For /readyz."""
        state = "live" if self._live else ("starting" if self._last_full is None and
                                           self._problem == "starting" else "fallback")
        body: dict[str, Any] = {"state": state, "apps": len(self.table),
                                "events_attached": self._attached_ticket is not None}
        if self._last_full is not None:
            body["last_full_read_seconds_ago"] = round(self._clock() - self._last_full, 1)
        if not self._live:
            body["problem"] = self._problem
        return body

    # -- read-your-writes ---------------------------------------------------------------------

    def record(self, app: App) -> None:
        """An app as Marathon answered a change the gateway just made."""
        if is_deployment(app):
            self.table.put(trimmed_app(app), self.table.ticket())

    async def refresh(self, app_id: str) -> None:
        """Read one app again now (after the gateway changed it), so the next read shows it.
        When it cannot be read the view stops being live until a full read succeeds."""
        try:
            await self._read_app(app_id)
        except _Failure as failure:
            self._distrust(f"could not read {app_id} after a change: {_why(failure)}")

    # -- the stream ---------------------------------------------------------------------------

    async def _follow_stream(self) -> None:
        pause = _RETRY_FIRST
        while True:
            try:
                async with self._marathon.events(
                        SUBSCRIBED, idle_timeout=max(self._resync_every, 60.0)) as (leader, answer):
                    pause = _RETRY_FIRST
                    why = await self._read_until_moved(leader, answer)
            except _Failure as failure:
                why = _why(failure)
            self._attached_ticket = None
            self._distrust(f"event stream: {why}")
            await asyncio.sleep(pause)
            pause = min(pause * 2, _RETRY_MAX)

    async def _read_until_moved(self, leader: Leader, answer: httpx.Response) -> str:
        reading = asyncio.create_task(self._read_events(answer))
        moved = asyncio.create_task(self._leader_moved(leader))
        try:
            await asyncio.wait({reading, moved}, return_when=asyncio.FIRST_COMPLETED)
            if moved.done():
                return f"the Marathon leader moved from {leader.url}"
            reading.result()
            return "it ended"
        finally:
            for task in (reading, moved):
                task.cancel()
            await asyncio.gather(reading, moved, return_exceptions=True)

    async def _leader_moved(self, leader: Leader) -> None:
        while True:
            successor = await self._leaders.wait_for_change("marathon", leader, 60.0)
            if successor == leader:
                await asyncio.Event().wait()  # a fixed leader never moves
            if successor is not None:
                return

    async def _read_events(self, answer: httpx.Response) -> None:
        async for event in server_sent_events(answer.aiter_lines()):
            self._on_event(event)

    def _on_event(self, event: Event) -> None:
        if event.type == ATTACHED:
            self._attached_ticket = self.table.ticket()
            self._full_due = True
        else:
            named = apps_named(event)
            if named is EVERY_APP:
                self._full_due = True
            elif isinstance(named, set):
                self._named |= {a for a in named if self._ours(a, event)}
        self._wake.set()

    def _ours(self, app_id: str, event: Event) -> bool:
        if app_id in self.table or app_id.startswith(self._group_prefix):
            return True
        definition = event.data.get("appDefinition")
        return isinstance(definition, dict) and is_deployment(definition)

    # -- reading Marathon ---------------------------------------------------------------------

    async def _keep_current(self) -> None:
        pause = _RETRY_FIRST
        next_full = self._clock()
        while True:
            if self._attached_ticket is None:
                # Detached, reads go to Marathon: nothing to keep current until it attaches.
                await self._wake.wait()
                self._wake.clear()
                continue
            if self._clock() >= next_full:
                self._full_due = True
            try:
                if self._full_due:
                    await self._read_everything()
                    next_full = self._clock() + self._resync_every
                elif self._named:
                    await self._read_named()
                pause = _RETRY_FIRST
            except _Failure as failure:
                self._distrust(f"reading Marathon failed: {_why(failure)}")
                await asyncio.sleep(pause)
                pause = min(pause * 2, _RETRY_MAX)
                continue
            if self._full_due or self._named:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_full - self._clock()))
            self._wake.clear()

    async def _keep_queue_current(self) -> None:
        """While some app waits, why it waits (offers change without any event), apart from
        the reads events ask for, so a slow queue never holds them up."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue_due.wait(), _QUEUE_POLL)
            self._queue_due.clear()
            if self._live and self.table.waiting():
                try:
                    await self._read_queue()
                except _Failure as failure:
                    self._distrust(f"reading Marathon's queue failed: {_why(failure)}")

    async def _read_everything(self) -> None:
        self._full_due = False
        self._named.clear()  # the full read covers them
        ticket = self.table.ticket()
        try:
            apps = await self._marathon.list_apps(all_deployments_selector(), shape=trimmed_app)
            queue = await self._marathon.queue()
        except BaseException:
            self._full_due = True
            raise
        self.table.replace_all((a for a in apps if is_deployment(a)), ticket)
        self.table.set_queue(_trimmed_queue(queue), ticket)
        del apps, queue
        self._last_full = self._clock()
        if self._attached_ticket is not None and ticket > self._attached_ticket:
            if not self._live:
                log.info("read view live: %d deployments", len(self.table))
            self._live = True
        else:
            self._problem = "the event stream is not attached"

    async def _read_named(self) -> None:
        named, self._named = self._named, set()
        if len(named) > _FULL_READ_ABOVE:
            await self._read_everything()
            return
        limit = asyncio.Semaphore(_PARALLEL_READS)

        async def read(app_id: str) -> None:
            async with limit:
                await self._read_app(app_id)

        results = await asyncio.gather(*(read(a) for a in named), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            self._named |= named
            raise failures[0]
        if self.table.waiting():
            self._queue_due.set()

    async def _read_app(self, app_id: str) -> None:
        ticket = self.table.ticket()
        app = await self._marathon.get_app(app_id)
        if app is None or not is_deployment(app):
            self.table.remove(app_id, ticket)
        else:
            self.table.put(trimmed_app(app), ticket)

    async def _read_queue(self) -> None:
        ticket = self.table.ticket()
        self.table.set_queue(_trimmed_queue(await self._marathon.queue()), ticket)

    def _distrust(self, why: str) -> None:
        if self._live:
            log.warning("read view not live (reads go to Marathon): %s", why)
        self._live = False
        self._problem = why
        self._full_due = True
        self._wake.set()


def _trimmed_queue(queue: dict[str, QueueEntry]) -> dict[str, QueueEntry]:
    return {app_id: trimmed_queue_entry(entry) for app_id, entry in queue.items()}


def _why(failure: BaseException) -> str:
    return str(failure) or type(failure).__name__
