"""Calls to the current leader of one scheduler, carried across a leader change.

The leader is looked up for every call, so a new leader is used as soon as discovery knows it.
When a call meets a dead leader or one that knows no leader, it waits for the next leader (up
to ``leader_wait``) and goes again, but only where that cannot do anything twice:

* the request never left (connection refused or never established), or the answer proves nothing was done
  (Marathon's and Mesos' "no leader"): any call goes again, also to a leader still taking office;
* the call is idempotent: it goes again once; and it does not wait on a deposed leader that
  holds it, but moves to the new leader as soon as one is elected;
* the call creates something under a name the gateway chose (``creates``): sending it again
  cannot create a second one (Marathon refuses an id it has: 409), and only an answer tells
  whether it was made, so it goes again like an idempotent call, and also once after a
  timeout; the caller reads the refusal (see ``MarathonClient.create_app``);
* the call can be read back (``landed``: Chronos replaces a job of the same name, which would
  run a run-now job a second time once its first run started): before it is sent again after
  a send that may have been acted on, ``landed`` asks the current leader whether that send
  took effect; if it did, its answer is the call's and nothing is sent again. After a timeout
  it is never sent again, only read back: a slow leader may still act on the first send;
* anything else (a submission whose answer was lost), or a create no attempt of which was
  answered: a 503 problem naming the scheduler and saying the change may have been applied.

Only the gateway's own Basic credentials are sent upstream; the user's token never is, and no
inbound header is copied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.discovery import Leader, LeaderSource, Scheduler
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.upstreams.routes import route_template

log = logging.getLogger(__name__)

# Long enough for ZooKeeper to expire a crashed leader's session and the next one to be elected
# with the schedulers' default 10 s session timeout; operators tune it with the session timeout.
LEADER_WAIT_SECONDS = 12.0

# Between two asks of a leader that is still taking office.
_TAKING_OFFICE_PAUSE = 0.2

NoLeaderCheck = Callable[[httpx.Response], bool]
# Reads back whether an earlier send of a call took effect: the answer that send would have had
# if it did, None if it did not.
LandedCheck = Callable[[], Awaitable[httpx.Response | None]]
# (scheduler, method, route template, outcome, seconds) of every call sent, for /metrics.
UpstreamObserver = Callable[[str, str, str, str, float], None]


_NAMES: dict[str, str] = {"marathon": "Marathon", "chronos": "Chronos", "mesos": "The Mesos master"}


@dataclass
class _Call:
    status: int | None = None


@contextmanager
def observed(observe: UpstreamObserver | None, scheduler: str, method: str,
             path: str) -> Iterator[_Call]:
    """Times one call and reports it with its outcome; the block sets ``call.status``."""
    call = _Call()
    started = time.perf_counter()
    outcome = "unreachable"
    try:
        yield call
    except httpx.TimeoutException:
        outcome = "timeout"
        raise
    except asyncio.CancelledError:
        outcome = "abandoned"  # e.g. a deposed leader's answer no longer waited for
        raise
    finally:
        if call.status is not None:
            outcome = ("ok" if call.status < 400 else
                       "client_error" if call.status < 500 else "server_error")
        if observe is not None:
            observe(scheduler, method, route_template(path), outcome,
                    time.perf_counter() - started)


@dataclass(frozen=True)
class _Repeat:
    """What a call allows on a leader change, and whether an earlier send of it may have been
    acted on (then giving up must say the change may have been applied, unless repeating it
    is harmless anyway)."""

    idempotent: bool
    creates: bool
    landed: LandedCheck | None = None
    may_have_landed: bool = False

    @property
    def repeatable(self) -> bool:
        return self.idempotent or self.creates or self.landed is not None

    @property
    def maybe_applied(self) -> bool:
        return self.may_have_landed and not self.idempotent

    def landed_maybe(self) -> _Repeat:
        return _Repeat(self.idempotent, self.creates, self.landed, may_have_landed=True)


def _never_sent(exc: httpx.TransportError) -> bool:
    """Whether the request cannot have reached the scheduler: no connection was made."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


class UpstreamClient:
    def __init__(self, scheduler: Scheduler, http: httpx.AsyncClient, leaders: LeaderSource, *,
                 credentials: tuple[str, str] | None = None, timeout: float = 10.0,
                 no_leader: NoLeaderCheck | None = None, no_leader_is_unprocessed: bool = False,
                 leader_wait: float = LEADER_WAIT_SECONDS,
                 observe: UpstreamObserver | None = None) -> None:
        self.scheduler = scheduler
        self.observe = observe
        self._http = http
        self._leaders = leaders
        self._auth = httpx.BasicAuth(*credentials) if credentials else None
        self._timeout = timeout
        self._no_leader = no_leader or (lambda response: False)
        # Marathon and Mesos answer "no leader" before forwarding anything, so even a submission
        # may go again; a Chronos standby answers it after a failed proxy call, which may have
        # reached the leader.
        self._no_leader_is_unprocessed = no_leader_is_unprocessed
        self._leader_wait = leader_wait

    async def request(self, method: str, path: str, *, idempotent: bool, creates: bool = False,
                      landed: LandedCheck | None = None, params: Any = None,
                      json: Any = None) -> httpx.Response:
        """Send to the leader; on a leader change, to the next leader where that is safe.

        ``creates``: the call creates something under a name the gateway chose, so sending it
        again cannot create a second one. ``landed``: the call is read back before it is sent
        again (see the module's docstring)."""
        repeat = _Repeat(idempotent, creates, landed)
        leader = await self._current()
        try:
            if repeat.repeatable:
                answer = await self._send_unless_replaced(leader, method, path, params, json)
            else:
                answer = await self._send(leader, method, path, params, json)
        except httpx.TransportError as exc:
            # A connection refused or never established (a dead host drops the SYN) never
            # reached the scheduler, so even a POST may go again. Any other timeout means a slow
            # leader, not a dead one: waiting again would double the wait, which only a create
            # is worth (its outcome is unknown until a second answer comes).
            never_sent = _never_sent(exc)
            slow = isinstance(exc, httpx.TimeoutException) and not never_sent
            if slow and landed is not None:
                earlier = await self._read_back(landed)
                if earlier is None:  # not yet, and the slow leader may still act on it
                    raise self._unavailable("its leader did not answer in time",
                                            maybe_applied=True) from None
                return earlier
            if (slow and not creates) or not (repeat.repeatable or never_sent):
                raise self._unavailable("its leader did not answer",
                                        maybe_applied=not (idempotent or never_sent)) from None
            if not never_sent:
                # The connection was made and the answer lost on the way (dropped mid-answer):
                # the leader lives, so a call safe to repeat goes again now, to whoever leads,
                # instead of waiting out a failover that is not happening.
                log.info("%s answer from %s lost (%s); asking again", self.scheduler, leader.url,
                         type(exc).__name__)
                return await self._send_to_next(self._leaders.leader(self.scheduler) or leader,
                                                method, path, params, json, repeat.landed_maybe(),
                                                self._failover_deadline())
            log.info("%s leader %s unreachable (%s); waiting for the next", self.scheduler,
                     leader.url, type(exc).__name__)
        else:
            if isinstance(answer, Leader):  # the send to the deposed leader was abandoned
                return await self._send_to_next(answer, method, path, params, json,
                                                repeat.landed_maybe(), self._failover_deadline())
            if not self._no_leader(answer):
                return answer
            if not (repeat.repeatable or self._no_leader_is_unprocessed):
                raise self._unavailable("it has no leader right now", maybe_applied=True)
            # It may be taking office, or deposed with its successor not yet in ZooKeeper:
            # ask whoever leads after a pause.
            log.info("%s at %s has no leader; asking again", self.scheduler, leader.url)
            deadline = self._failover_deadline()
            await asyncio.sleep(_TAKING_OFFICE_PAUSE)
            if not self._no_leader_is_unprocessed:
                repeat = repeat.landed_maybe()
            return await self._send_to_next(self._leaders.leader(self.scheduler) or leader,
                                            method, path, params, json, repeat, deadline)
        deadline = self._failover_deadline()
        next_leader = await self._leaders.wait_for_change(self.scheduler, leader, self._leader_wait)
        return await self._send_to_next(next_leader, method, path, params, json, repeat, deadline)

    @contextlib.asynccontextmanager
    async def stream(self, path: str, *, params: Any = None, accept: str,
                     read_timeout: float | None) -> AsyncIterator[tuple[Leader, httpx.Response]]:
        """A long-lived GET to the current leader (an event stream), and that leader; no retry.

        One redirect is followed with the gateway's credentials (Marathon 1.7+ standbys answer
        ``/v2/events`` with a 302 to the leader; httpx would drop the credentials on the way).
        """
        leader = await self._current()
        url = leader.url + path
        timeout = httpx.Timeout(self._timeout, read=read_timeout)
        for hop in range(2):
            async with self._http.stream("GET", url, params=params, auth=self._auth,
                                         headers={"Accept": accept}, timeout=timeout) as answer:
                location = answer.headers.get("location")
                if hop == 0 and answer.is_redirect and location:
                    url, params = str(answer.url.join(location)), None
                    continue
                yield leader, answer
                return

    def _failover_deadline(self) -> float:
        return asyncio.get_running_loop().time() + self._leader_wait

    async def _send_to_next(self, leader: Leader | None, method: str, path: str, params: Any,
                            json: Any, repeat: _Repeat, deadline: float) -> httpx.Response:
        """The retry. A new leader may still be taking office: while its answers prove that
        nothing was done (no connection made, "no leader" from Marathon or Mesos, or any "no
        leader" to a call safe to repeat), ask again until the failover deadline. A send that
        may have been acted on is never repeated."""
        loop = asyncio.get_running_loop()
        while True:
            if leader is None:
                raise self._unavailable("it has no leader right now",
                                        maybe_applied=repeat.maybe_applied)
            if repeat.landed is not None and repeat.may_have_landed:
                earlier = await self._read_back(repeat.landed)
                if earlier is not None:
                    return earlier
            try:
                response = await self._send(leader, method, path, params, json)
            except httpx.TransportError as exc:
                never_sent = _never_sent(exc)
                if not never_sent or loop.time() >= deadline:
                    if not never_sent:
                        repeat = repeat.landed_maybe()
                    raise self._unavailable("its new leader did not answer either",
                                            maybe_applied=repeat.maybe_applied) from None
                leader = await self._leaders.wait_for_change(self.scheduler, leader,
                                                             deadline - loop.time())
                continue
            if not self._no_leader(response):
                return response
            if not self._no_leader_is_unprocessed:
                repeat = repeat.landed_maybe()
            if not (repeat.repeatable or self._no_leader_is_unprocessed) or loop.time() >= deadline:
                raise self._unavailable("it has no leader right now",
                                        maybe_applied=repeat.maybe_applied)
            await asyncio.sleep(min(_TAKING_OFFICE_PAUSE, max(0.0, deadline - loop.time())))
            leader = self._leaders.leader(self.scheduler) or leader

    async def _read_back(self, landed: LandedCheck) -> httpx.Response | None:
        """The answer of an earlier send that took effect, asked of the current leader; None
        when it did not (yet)."""
        try:
            earlier = await landed()
        except (UpstreamUnavailable, UpstreamError):
            raise self._unavailable("it could not be asked whether the change took effect",
                                    maybe_applied=True) from None
        if earlier is not None:
            log.info("%s: an earlier send took effect; not sending it again", self.scheduler)
        return earlier

    async def _send_unless_replaced(self, leader: Leader, method: str, path: str, params: Any,
                                    json: Any) -> httpx.Response | Leader:
        """Send a call that is safe to repeat; if a new leader is elected before the answer
        comes, abandon it and return the new leader. A deposed Marathon holds a request for up
        to 2.5 s before it admits it knows no leader; the new one answers at once."""
        sending = asyncio.ensure_future(self._send(leader, method, path, params, json))
        replaced = asyncio.ensure_future(
            self._leaders.wait_for_change(self.scheduler, leader, self._timeout))
        try:
            await asyncio.wait({sending, replaced}, return_when=asyncio.FIRST_COMPLETED)
            if sending.done():
                return sending.result()
            successor = replaced.result()
            # A static source "changes" to the same leader at once: then just wait for the answer.
            if successor is None or successor == leader:
                return await sending
            log.info("%s leader changed to %s while waiting on %s; asking the new one",
                     self.scheduler, successor.url, leader.url)
            return successor
        finally:
            for task in (sending, replaced):
                if not task.done():
                    task.cancel()

    async def _current(self) -> Leader:
        leader = self._leaders.leader(self.scheduler)
        if leader is None:
            # Mid-election (or just started): nothing was sent yet, so waiting is safe for any call.
            leader = await self._leaders.wait_for_change(self.scheduler, None, self._leader_wait)
        if leader is None:
            raise self._unavailable("no leader of it is known")
        return leader

    async def _send(self, leader: Leader, method: str, path: str, params: Any,
                    json: Any) -> httpx.Response:
        with observed(self.observe, self.scheduler, method, path) as call:
            response = await self._http.request(
                method, leader.url + path, params=params, json=json, auth=self._auth,
                headers={"Accept": "application/json"}, timeout=self._timeout)
            call.status = response.status_code
        return response

    def _unavailable(self, why: str, *, maybe_applied: bool = False) -> UpstreamUnavailable:
        name = _NAMES.get(self.scheduler, self.scheduler)
        advice = ("The change may have been applied: check before repeating it." if maybe_applied
                  else "Try again shortly.")
        return UpstreamUnavailable(f"{name} is unavailable: {why}. {advice}",
                                   extra={"scheduler": self.scheduler}, headers={"Retry-After": "5"})
