"""Follow the schedulers' leader elections in ZooKeeper with kazoo watches.

kazoo runs its own threads. They never touch asyncio state: they build a new immutable
``Snapshot`` and swap one reference, then ask the event loop (``call_soon_threadsafe``) to wake
whoever waits for a new leader. Async code reads the current snapshot without locks or blocking.

Every watch event, and every (re)connection, re-reads the whole election node; ZooKeeper
watches fire once and carry no data, so re-reading is the only way to be sure nothing was missed.
``exists`` watches keep us informed about an election node that does not exist yet or was
deleted: a plain children watch cannot be set on a missing node.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.protocol.states import WatchedEvent
from kazoo.retry import KazooRetry

from gateway.discovery.election import Election, leader_node, leader_url
from gateway.discovery.source import Leader, Scheduler
from gateway.ensemble import Ensemble

log = logging.getLogger(__name__)

Connection = Literal["connecting", "connected", "suspended", "lost", "stopped"]


def _frozen() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Snapshot:
    """What the gateway knows, as of one moment. Replaced whole, never changed in place."""

    connection: Connection = "connecting"
    connection_since: float = field(default_factory=time.monotonic)
    leaders: Mapping[Scheduler, Leader] = field(default_factory=_frozen)
    nodes: Mapping[Scheduler, str] = field(default_factory=_frozen)
    problems: Mapping[Scheduler, str] = field(default_factory=_frozen)


class ZooKeeperLeaderSource:
    """A ``LeaderSource`` that watches each scheduler's election node in one ZooKeeper ensemble."""

    def __init__(self, ensemble: Ensemble, elections: Mapping[Scheduler, Election], *,
                 session_timeout: float = 10.0,
                 client_factory: Callable[..., KazooClient] = KazooClient) -> None:
        self._ensemble = ensemble
        self._elections = dict(elections)
        self._session_timeout = session_timeout
        self._client_factory = client_factory
        self._client: KazooClient | None = None
        self._snapshot = Snapshot(problems=MappingProxyType(
            {name: "not read from ZooKeeper yet" for name in self._elections}))
        self._swap = threading.Lock()
        # One reader per election at a time, so an older read never overwrites a newer one.
        self._reading = {name: threading.Lock() for name in self._elections}
        # kazoo keeps watchers in sets: reusing one callable per election avoids piling up copies.
        self._watchers = {name: functools.partial(self._on_watch, name) for name in self._elections}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()
        self.leader_changes: Counter[Scheduler] = Counter()

    # -- read by async code -------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def leader(self, scheduler: Scheduler) -> Leader | None:
        return self._snapshot.leaders.get(scheduler)

    # The replica's one ZooKeeper session, lent to the quota lock (a ``ZooKeeperSession``).
    @property
    def kazoo(self) -> KazooClient | None:
        return self._client

    @property
    def connected(self) -> bool:
        return self._snapshot.connection == "connected"

    async def wait_for_change(self, scheduler: Scheduler, previous: Leader | None,
                              timeout: float) -> Leader | None:
        deadline = time.monotonic() + timeout
        while True:
            current = self.leader(scheduler)
            if current is not None and current != previous:
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        retry = KazooRetry(max_tries=-1, delay=0.1, max_delay=2.0)
        auth = [("digest", self._ensemble.digest)] if self._ensemble.digest else None
        client = self._client_factory(
            hosts=self._ensemble.kazoo_hosts, timeout=self._session_timeout,
            connection_retry=retry, auth_data=auth)
        client.add_listener(self._on_state)
        self._client = client
        # Not waiting: the gateway starts while ZooKeeper is down and /readyz tells the story.
        client.start_async()

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(_close, client)
        self._publish(lambda s: replace(s, connection="stopped", connection_since=time.monotonic()))

    def status(self) -> dict[str, Any]:
        snap, now = self._snapshot, time.monotonic()
        leaders: dict[str, Any] = {}
        for name, election in self._elections.items():
            leader = snap.leaders.get(name)
            entry: dict[str, Any] = {"path": self._ensemble.chroot + election.path}
            if leader is None:
                entry["problem"] = snap.problems.get(name, "unknown")
            else:
                entry.update(url=leader.url, known_for_seconds=round(now - leader.known_since, 1),
                             node=snap.nodes.get(name))
            leaders[name] = entry
        stale = snap.connection != "connected"
        body: dict[str, Any] = {
            "source": "zookeeper",
            "zookeeper": {"hosts": self._ensemble.describe(), "state": snap.connection,
                          "for_seconds": round(now - snap.connection_since, 1)},
            "leaders": leaders,
            "stale": stale,
        }
        if stale and snap.leaders:
            body["detail"] = (f"ZooKeeper is {snap.connection}; serving with the last known leaders "
                              "until it is back.")
        return body

    # -- kazoo threads ------------------------------------------------------------------------

    def _on_state(self, state: str) -> None:
        # Called on kazoo's connection thread, which must not block: reads run elsewhere.
        states: dict[str, Connection] = {KazooState.CONNECTED: "connected",
                                         KazooState.SUSPENDED: "suspended", KazooState.LOST: "lost"}
        connection = states.get(state, "connecting")
        log.info("ZooKeeper connection %s", connection)
        self._publish(lambda s: replace(s, connection=connection, connection_since=time.monotonic()))
        client = self._client
        if connection == "connected" and client is not None:
            # After a lost session every watch is gone, and after a short disconnection events
            # may have been coalesced: read everything again either way.
            client.handler.spawn(self._refresh_all)

    def _on_watch(self, scheduler: Scheduler, event: WatchedEvent) -> None:
        self._refresh(scheduler)

    def _refresh_all(self) -> None:
        for name in self._elections:
            self._refresh(name)

    def _refresh(self, scheduler: Scheduler) -> None:
        client = self._client
        if client is None:
            return
        election = self._elections[scheduler]
        watch = self._watchers[scheduler]
        with self._reading[scheduler]:
            try:
                self._read(client, scheduler, election, watch)
            except KazooException as exc:
                # Connection trouble: keep what we know; the reconnection triggers a new read.
                log.info("reading %s from ZooKeeper failed: %s", election.path, type(exc).__name__)
            except Exception:
                log.exception("unexpected failure reading %s from ZooKeeper", election.path)

    def _read(self, client: KazooClient, scheduler: Scheduler, election: Election,
              watch: Callable[[WatchedEvent], None]) -> None:
        # A node can vanish between two calls (a contender leaves, the path is deleted); the
        # watch set by the first call will report it, but retrying now avoids a stale answer.
        for _ in range(5):
            if client.exists(election.path, watch=watch) is None:
                where = self._ensemble.chroot + election.path
                self._set_leader(scheduler, None, None, f"{where} does not exist yet")
                return
            try:
                children = client.get_children(election.path, watch=watch)
                node = leader_node(election.layout, children)
                if node is None:
                    self._set_leader(scheduler, None, None, "no instance is contending")
                    return
                data, _ = client.get(f"{election.path}/{node}")
            except NoNodeError:
                continue
            url = leader_url(election.layout, data)
            problem = None if url else f"the leader's node {node} holds unreadable data"
            self._set_leader(scheduler, node if url else None, url, problem)
            return

    def _set_leader(self, scheduler: Scheduler, node: str | None, url: str | None,
                    problem: str | None) -> None:
        def update(snap: Snapshot) -> Snapshot:
            leaders, nodes, problems = dict(snap.leaders), dict(snap.nodes), dict(snap.problems)
            old = leaders.get(scheduler)
            if node is None or url is None:
                leaders.pop(scheduler, None)
                nodes.pop(scheduler, None)
                problems[scheduler] = problem or "unknown"
            else:
                # The same node read again is the same leader, still known since it was elected.
                same = old is not None and old.url == url and nodes.get(scheduler) == node
                leaders[scheduler] = old if same and old is not None else Leader(url)
                nodes[scheduler] = node
                problems.pop(scheduler, None)
            if leaders.get(scheduler) != old:
                log.info("%s leader: %s", scheduler, url or f"unknown ({problem})")
                if scheduler in leaders:
                    self.leader_changes[scheduler] += 1
            return replace(snap, leaders=MappingProxyType(leaders), nodes=MappingProxyType(nodes),
                           problems=MappingProxyType(problems))

        self._publish(update)

    def _publish(self, update: Callable[[Snapshot], Snapshot]) -> None:
        with self._swap:
            before = self._snapshot
            self._snapshot = update(before)
            changed = self._snapshot.leaders != before.leaders
        loop = self._loop
        if changed and loop is not None:
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:
                pass  # the loop is closed: the gateway is shutting down

    def _wake(self) -> None:
        # Runs on the event loop: release every waiter, and give later waiters a fresh event.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


def _close(client: KazooClient) -> None:
    client.stop()
    client.close()
