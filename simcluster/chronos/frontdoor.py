"""``RedirectFilter``, before the resources (and behind HTTP Basic, simcluster/basic_auth.py):
it makes a non-leader *proxy* each request to the leader. Request headers (``Authorization``
too) and body go through; the leader's status and headers come back, its body only when the
status is below 400 (``HttpURLConnection`` throws on reading an error body). When the leader
cannot be reached the answer is Jetty's 500 page.
"""

from __future__ import annotations

from typing import Protocol

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from simcluster.chronos import responses as r

_HOP_HEADERS = {
    "host", "content-length", "connection", "transfer-encoding", "keep-alive", "content-encoding"
}
_PROXY_FAILED = "Error proxying request to leader (maybe the leadership just changed?)"


class LeaderAware(Protocol):
    @property
    def participant_id(self) -> str: ...

    @property
    def is_leader(self) -> bool: ...

    async def leader_id(self) -> str: ...


class FrontDoor:
    def __init__(
        self,
        app: ASGIApp,
        node: LeaderAware,
        *,
        client: httpx.AsyncClient | None,
    ) -> None:
        self._app = app
        self._node = node
        self._client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        leader = "" if self._node.is_leader else await self._node.leader_id()
        if self._node.is_leader or leader == self._node.participant_id:
            await self._app(scope, receive, send)
            return
        response = await self._proxy(request, leader)
        await response(scope, receive, send)

    async def _proxy(self, request: Request, leader: str) -> Response:
        target = f"http://{leader}{request.url.path}"
        if request.url.query:
            target += f"?{request.url.query}"
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS]
        body = b"" if request.method in ("GET", "HEAD", "DELETE") else await request.body()
        try:
            if not leader or self._client is None:
                raise httpx.UnsupportedProtocol(f"no protocol: {target}")
            answer = await self._client.request(request.method, target, headers=headers, content=body)
        except httpx.HTTPError as error:
            exception = "java.net.ConnectException" if leader else "java.net.MalformedURLException"
            trace = r.stack_trace(exception, str(error) or "Connection refused", "proxy")
            return r.jetty_error_page(500, request.url.path, reason=f"{_PROXY_FAILED}\n\nError:\n{trace}")
        copied = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS]
        content = answer.content if answer.status_code < 400 else b""
        response = Response(content, status_code=answer.status_code)
        for key, value in copied:
            response.headers.append(key, value)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
