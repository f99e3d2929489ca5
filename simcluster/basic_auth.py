"""HTTP Basic on every path, as Jetty's BasicAuthenticator does for ``--http_credentials``."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from simcluster.jetty import jetty_error


class BasicAuthMiddleware:
    def __init__(
        self, app: ASGIApp, credentials: tuple[str, str], realm: str = "Mesosphere"
    ) -> None:
        self.app = app
        self._expected = f"{credentials[0]}:{credentials[1]}".encode()
        self._realm = realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        response = jetty_error(
            401, scope["path"], headers={"WWW-Authenticate": f'basic realm="{self._realm}"'}
        )
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
