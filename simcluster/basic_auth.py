"""HTTP Basic on every path, as Jetty's BasicAuthenticator does for Marathon's and Chronos'
``--http_credentials``: a missing or wrong ``Authorization`` header gets the Jetty 401 page."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from simcluster.jetty import jetty_error

# (status, path) -> the product's Jetty error page.
ErrorPage = Callable[[int, str], Response]


class BasicAuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        credentials: str,
        realm: str = "Mesosphere",
        error_page: ErrorPage = jetty_error,
    ) -> None:
        """``credentials`` is ``user:password``, as the command-line flag takes it."""
        self.app = app
        self._expected = credentials.encode()
        self._realm = realm
        self._error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        response = self._error_page(401, scope["path"])
        response.headers["WWW-Authenticate"] = f'basic realm="{self._realm}"'
        await response(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, encoded = value.partition(b" ")
                if scheme.lower() != b"basic":
                    return False
                try:
                    given = base64.b64decode(encoded.strip(), validate=True)
                except (binascii.Error, ValueError):
                    return False
                return hmac.compare_digest(given, self._expected)
        return False
