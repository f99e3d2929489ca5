"""Each request's id, from ``X-Request-Id`` or made here, and its access line (gateway/access_log.py).

The id is returned in the response, sent on every upstream call (an httpx request hook) and put
on every log record written while the request is handled (a logging filter), so one id ties
Apache's log, the gateway's lines, the audit line and the schedulers' access logs together.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import re
import secrets
import time
from collections.abc import Callable

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.access_log import log_access

HEADER = "X-Request-Id"
# What proxies make (UUIDs, Apache's mod_unique_id) fits; anything else is replaced, so a client
# cannot write arbitrary text into log lines or upstream headers.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9@._:+=/-]{8,128}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


# New ids: this process's random half, then a count. As unique as a random UUID across replicas
# and restarts (64 random bits each), at a fraction of its cost per request.
_PROCESS = secrets.token_hex(8)
_count = itertools.count(1)


def request_id_from(header: str | None) -> str:
    """The client's (or proxy's) id when it is a sane token, else a new one."""
    if header and _ACCEPTABLE.fullmatch(header):
        return header
    return f"{_PROCESS}{next(_count):016x}"


async def send_request_id(request: httpx.Request) -> None:
    """httpx request hook: the current request's id goes upstream with every call."""
    request_id = _current.get()
    if request_id is not None:
        request.headers[HEADER] = request_id


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


# Told of each finished request (scope, status, seconds): the metrics.
RequestObserver = Callable[[Scope, int, float], None]
# Answers a request at once from memory (status, headers, body), or None: the app answers it.
Front = Callable[[Scope], tuple[int, list[tuple[bytes, bytes]], bytes] | None]


class RequestContextMiddleware:
    """Pure ASGI, outermost: sets the id, returns it, writes one access line per request and
    reports it to ``observe``. Streams such as log follows pass through untouched. A request
    the ``front`` answers (gateway/api/list_front.py) goes no further.

    The access line has the path without its query string (where tokens offered in the URL
    would be) and never a header.
    """

    def __init__(self, app: ASGIApp, observe: RequestObserver | None = None,
                 front: Front | None = None) -> None:
        self.app = app
        self.observe = observe
        self.front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                header = value.decode("latin-1")
                break
        request_id = request_id_from(header)
        returned = (b"x-request-id", request_id.encode("latin-1"))
        started = time.perf_counter()
        answer = self.front(scope) if self.front is not None else None
        if answer is not None:
            status, headers, body = answer
            try:
                await send({"type": "http.response.start", "status": status,
                            "headers": [*headers, returned]})
                await send({"type": "http.response.body", "body": body})
            finally:
                self._finished(scope, status, started, request_id)
            return
        token = _current.set(request_id)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), returned]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finished(scope, status, started, request_id)
            _current.reset(token)

    def _finished(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        seconds = time.perf_counter() - started
        if self.observe is not None:
            self.observe(scope, status, seconds)
        client = scope.get("client")
        log_access(scope["method"], scope["path"], status, client[0] if client else None,
                   seconds, request_id)
