"""Calls to the current leader of one scheduler, with one retry across a leader change.

Only the gateway's own Basic credentials are sent upstream; the user's token never is, and no
inbound header is copied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx

from gateway.discovery import Leader, LeaderSource, Scheduler
from gateway.errors import UpstreamUnavailable

log = logging.getLogger(__name__)

LEADER_WAIT_SECONDS = 3.0

NoLeaderCheck = Callable[[httpx.Response], bool]


class UpstreamClient:
    def __init__(self, scheduler: Scheduler, http: httpx.AsyncClient, leaders: LeaderSource, *,
                 credentials: tuple[str, str] | None = None, timeout: float = 10.0,
                 no_leader: NoLeaderCheck | None = None) -> None:
        self.scheduler = scheduler
        self._http = http
        self._leaders = leaders
        self._auth = httpx.BasicAuth(*credentials) if credentials else None
        self._timeout = timeout
        self._no_leader = no_leader or (lambda response: False)

    async def request(self, method: str, path: str, *, idempotent: bool,
                      params: Any = None, json: Any = None) -> httpx.Response:
        """Send to the leader. ``idempotent`` calls are retried once on the next leader."""
        leader = self._current()
        try:
            response = await self._send(leader, method, path, params, json)
        except httpx.TransportError as exc:
            if not idempotent or isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
                raise self._unavailable(f"the {self.scheduler} leader did not answer") from None
            log.info("%s leader %s unreachable (%s); waiting for the next", self.scheduler,
                     leader.url, type(exc).__name__)
        else:
            if not self._no_leader(response):
                return response
            if not idempotent:
                raise self._unavailable(f"{self.scheduler} has no leader right now")
        next_leader = await self._leaders.wait_for_change(self.scheduler, leader,
                                                          LEADER_WAIT_SECONDS)
        if next_leader is None:
            raise self._unavailable(f"{self.scheduler} has no leader right now")
        try:
            response = await self._send(next_leader, method, path, params, json)
        except httpx.TransportError:
            raise self._unavailable(f"the {self.scheduler} leader did not answer") from None
        if self._no_leader(response):
            raise self._unavailable(f"{self.scheduler} has no leader right now")
        return response

    def _current(self) -> Leader:
        leader = self._leaders.leader(self.scheduler)
        if leader is None:
            raise self._unavailable(f"no {self.scheduler} leader is known")
        return leader

    async def _send(self, leader: Leader, method: str, path: str, params: Any,
                    json: Any) -> httpx.Response:
        return await self._http.request(
            method, leader.url + path, params=params, json=json, auth=self._auth,
            headers={"Accept": "application/json"}, timeout=self._timeout)

    def _unavailable(self, detail: str) -> UpstreamUnavailable:
        return UpstreamUnavailable(detail[0].upper() + detail[1:] + ".",
                                   extra={"scheduler": self.scheduler})
