"""LeaderProxyFilter: the leader serves, a standby forwards to it, nobody answers without one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simcluster.jetty import jetty_error
from simcluster.marathon.node import MarathonNode

_HOP_HEADERS = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


class LeaderProxyMiddleware:
    def __init__(self, app: ASGIApp, instance: MarathonNode) -> None:
        self.app = app
        self.instance = instance
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__sim__/"):
            await self.app(scope, receive, send)
            return
        instance = self.instance
        # Marathon waits up to 10 x 250 ms for a consistent view before giving up.
        for _ in range(10):
            if instance.is_leader or instance.leader_host_port() is not None:
                break
            await asyncio.sleep(0.25)
        if instance.is_leader:
            await self.app(scope, receive, _with_leader_header(send, instance.own_url))
            return
        leader = instance.leader_host_port()
        request = Request(scope, receive)
        if leader is None:
            status = 503 if instance.config.marathon_version.startswith(("1.5", "1.6")) else 502
            response: Response = jetty_error(
                status, scope["path"], "Could not determine the current leader"
            )
        elif scope["path"] == "/v2/events" and not instance.proxies_events():
            target = f"http://{leader}{scope['path']}"
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            response = RedirectResponse(target, status_code=302)
        else:
            response = await self._forward(request, leader)
        await response(scope, receive, send)

    async def _forward(self, request: Request, leader: str) -> Response:
        me = self.instance.host_port
        via = request.headers.get("x-marathon-via", "")
        if me in via:
            return jetty_error(502, request.url.path, "Detected proxying loop.")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        headers["X-Marathon-Via"] = f"{via}, 1.1 {me}" if via else f"1.1 {me}"
        client = request.client.host if request.client else ""
        headers["X-Forwarded-For"] = client
        url = f"http://{leader}{request.url.path}"
        if request.url.query:
            url += "?" + request.url.query
        try:
            upstream = await self.client.send(
                self.client.build_request(
                    request.method, url, headers=headers, content=await request.body()
                ),
                stream=True,
            )
        except httpx.ConnectError:
            return jetty_error(502, request.url.path, "Connection to leader refused.")
        except httpx.TimeoutException:
            return jetty_error(504, request.url.path, "Connection to leader timed out.")
        except httpx.TransportError:
            # The leader went away mid-request. RequestForwarder's other IOException answer
            # (not quoted in the fact sheet; our best rendering), never a traceback.
            return jetty_error(
                502, request.url.path, "Failed to successfully establish a connection to the leader."
            )
        out_headers = {
            k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS
        }
        out_headers["X-Marathon-Via"] = headers["X-Marathon-Via"]

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_raw():
                    yield chunk
            finally:
                await upstream.aclose()

        return StreamingResponse(body(), status_code=upstream.status_code, headers=out_headers)


def _with_leader_header(send: Send, leader_url: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((b"x-marathon-leader", leader_url.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
