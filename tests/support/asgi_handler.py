"""An ASGI app (the dev issuer, say) as an httpx.MockTransport handler, to chain after a fake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.types import ASGIApp


def asgi_handler(app: ASGIApp) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    transport = httpx.ASGITransport(app)

    async def handle(request: httpx.Request) -> httpx.Response:
        response = await transport.handle_async_request(request)
        await response.aread()
        return response

    return handle
