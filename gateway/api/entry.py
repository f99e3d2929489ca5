"""The gateway's FastAPI app, entered through pure ASGI layers outside the framework's own stack.

Starlette puts its error page, and FastAPI its telemetry and body-limit layers, outermost: every
request passes through them and their send wrappers. The request context (id, access line,
metrics) and the front answering rendered lists (gateway/api/list_front.py) go before them
instead, so the hottest read skips the framework altogether. Anything the front does not answer
goes on into the framework, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send


class FrontedFastAPI(FastAPI):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entry: ASGIApp = super().__call__

    def front_with(self, layer: Callable[[ASGIApp], ASGIApp]) -> None:
        """Put ``layer`` in front of everything so far: the last one given is entered first."""
        self._entry = layer(self._entry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._entry(scope, receive, send)
