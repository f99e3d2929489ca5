"""Each request's id, from ``X-Request-Id`` or made here, and the access log line.

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

HEADER = "X-Request-Id"
# What proxies make (UUIDs, Apache's mod_unique_id) fits; anything else is replaced, so a client
# cannot write arbitrary text into log lines or upstream headers.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9@._:+=/-]{8,128}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
access_log = logging.getLogger("gateway.access")


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


class RequestContextMiddleware:
    """Pure ASGI, outermost: sets the id, returns it, writes one access line per request and
    reports it to ``observe``. Streams such as log follows pass through untouched.

    The access line has the path without its query string (where tokens offered in the URL
    would be) and never a header.
    """

    def __init__(self, app: ASGIApp, observe: RequestObserver | None = None) -> None:
        self.app = app
        self.observe = observe

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
        token = _current.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                # A new list: the app's own may be shared between answers.
                message["headers"] = [*message.get("headers", ()), returned]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if self.observe is not None:
                self.observe(scope, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                method, path, client = scope["method"], scope["path"], scope.get("client")
                access_log.info(
                    "%s %s %s", method, path, status,
                    extra={"method": method, "path": path, "status": status,
                           "client": client[0] if client else None,
                           "duration_ms": round(seconds * 1000, 1), "request_id": request_id})
            _current.reset(token)
