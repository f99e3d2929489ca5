"""Refuses request bodies over the configured size before they are read (413 problem+json).

A declared Content-Length over the limit is answered at once; a body sent without one (chunked)
is counted as the route reads it, and reading stops with the 413 at the first byte too many.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import PROBLEM_JSON, PayloadTooLarge


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: Callable[[], int]) -> None:
        self.app = app
        self._limit = limit  # read per request: the settings exist only once the lifespan ran

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit()
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            error = _too_large(limit)
            response = JSONResponse(error.problem(instance=scope["path"]), status_code=error.status,
                                    media_type=PROBLEM_JSON, headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read; FastAPI passes HTTPException on (any
                    # other error there becomes its 400) to the problem handlers.
                    raise HTTPException(413, _too_large(limit).detail)
            return message

        await self.app(scope, counted, send)
