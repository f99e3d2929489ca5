"""Fault injection for tests: latency, error statuses and dropped connections.

Rules are managed over HTTP at ``/__sim__/faults`` on every simulated server, and those routes
only exist when the cluster was started with ``SimConfig(faults=True)``:

* ``POST /__sim__/faults`` ``{"path": "/v2/apps", "method": "GET", "latency": 0.5,
  "status": 503, "body": {...}, "html": false, "drop": false, "after": false, "late": false,
  "times": 1}``
  adds a rule (all keys optional; ``path`` is a prefix, ``times`` null means forever; ``html``
  answers ``body`` as a text/html page, as a proxy or servlet container in front would;
  ``after`` serves the request first, so it is acted on, and then delays, drops or replaces
  its answer; ``late`` reads the request's body before the ``latency`` and then serves it, so
  it is acted on late even if its client stopped waiting: a slow server that has the request,
  as Jetty has the body before the resource runs). Returns the rule with its ``id``.
* ``GET /__sim__/faults`` lists rules, ``DELETE /__sim__/faults`` clears them.
* ``POST /__sim__/leader-loss`` (Marathon only) makes the instance lose its leadership.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ids = itertools.count(1)


@dataclass
class FaultRule:
    id: int
    path: str = "/"
    method: str | None = None
    latency: float = 0.0
    status: int | None = None
    body: Any = None
    html: bool = False
    drop: bool = False
    after: bool = False
    late: bool = False
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return path.startswith(self.path) and self.method in (None, method)


class FaultInjector:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, spec: dict[str, Any]) -> FaultRule:
        allowed = {"path", "method", "latency", "status", "body", "html", "drop", "after",
                   "late", "times"}
        rule = FaultRule(id=next(_ids), **{k: v for k, v in spec.items() if k in allowed})
        self.rules.append(rule)
        return rule

    def match(self, method: str, path: str) -> FaultRule | None:
        if path.startswith("/__sim__/"):
            return None
        for rule in self.rules:
            if rule.matches(method, path):
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None

    def routes(self) -> list[Route]:
        async def listing(request: Request) -> Response:
            if request.method == "DELETE":
                self.rules.clear()
                return Response(status_code=204)
            if request.method == "POST":
                try:
                    spec = json.loads(await request.body())
                    rule = self.add(spec)
                except (ValueError, TypeError) as exc:
                    return JSONResponse({"message": f"bad fault rule: {exc}"}, status_code=400)
                return JSONResponse(asdict(rule), status_code=201)
            return JSONResponse([asdict(r) for r in self.rules])

        return [Route("/__sim__/faults", listing, methods=["GET", "POST", "DELETE"])]


class FaultMiddleware:
    """Applies the rules to every request, and serves ``/__sim__/faults`` itself, so any
    simulated server (whatever its routing) gets fault injection by being wrapped."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector
        self._rules_api = Router(routes=injector.routes())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/__sim__/faults":
            await self._rules_api(scope, receive, send)
            return
        rule = self.injector.match(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        served: list[Message] | None = None
        if rule.after:
            served = []

            async def keep(message: Message) -> None:
                served.append(message)

            await self.app(scope, receive, keep)  # acted on; only its answer is at fault
        if rule.latency:
            if rule.late and served is None:
                receive = await _received(receive)
            await asyncio.sleep(rule.latency)
        if rule.drop:
            # Promise a body, then fail: the server closes the connection mid-response, which
            # clients see as a dropped connection (before that, it would answer a clean 500).
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1024")]})
            raise ConnectionAbortedError("fault injection: connection dropped")
        if rule.status is not None:
            if rule.html:
                page = HTMLResponse(str(rule.body or "<html><body>Error</body></html>"),
                                    status_code=rule.status)
                await page(scope, receive, send)
                return
            body = rule.body if rule.body is not None else {"message": "injected fault"}
            await JSONResponse(body, status_code=rule.status)(scope, receive, send)
            return
        if served is not None:
            for message in served:
                await send(message)
            return
        await self.app(scope, receive, send)


async def _received(receive: Receive) -> Receive:
    """The request's body read now, handed out again to whoever serves it later."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay
