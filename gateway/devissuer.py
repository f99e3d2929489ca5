"""A development-only OpenID Connect token issuer, for ``gateway dev`` and the tests.

It publishes a discovery document and a JWKS and mints RS256 access tokens for demo users.
``POST /dev/token?user=alice`` mints a fresh one on request (``gateway dev-token alice``), so a
session outlives the tokens printed at start; it answers loopback clients only.
``gateway serve`` never imports it: production trusts only the issuers an operator configured.
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from jose import jwk, jwt
from jose.exceptions import JOSEError

_USERINFO_CLAIMS = ("sub", "name", "preferred_username", "email", "groups")

DEMO_GROUP = "deep"
DEMO_TOKEN_LIFETIME = 8 * 3600
ADMIN_GROUP = "deep/admins"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    groups: tuple[str, ...]


DEMO_USERS = (
    DemoUser("alice", "Alice Example", (DEMO_GROUP,)),
    DemoUser("bob", "Bob Example", (DEMO_GROUP,)),
    DemoUser("admin", "Ada Admin", (DEMO_GROUP, ADMIN_GROUP)),
)


class DevIssuer:
    def __init__(self, issuer: str, *, kid: str | None = None) -> None:
        self.issuer = issuer
        self.kid = kid or f"dev-{uuid.uuid4().hex[:8]}"
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._private_pem = self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    @property
    def public_jwk(self) -> dict[str, Any]:
        public_pem = self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        key: dict[str, Any] = jwk.construct(public_pem, "RS256").to_dict()
        key.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return key

    def mint(self, subject: str, *, groups: tuple[str, ...] = (), lifetime: int = 8 * 3600,
             extra: dict[str, Any] | None = None, headers: dict[str, Any] | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": subject, "iat": now, "nbf": now, "exp": now + lifetime,
            "jti": uuid.uuid4().hex, "client_id": "gateway-dev", "groups": list(groups),
        }
        claims.update(extra or {})
        return str(jwt.encode(claims, self._private_pem, algorithm="RS256",
                              headers={"kid": self.kid, **(headers or {})}))

    def demo_tokens(self, lifetime: int = DEMO_TOKEN_LIFETIME) -> dict[str, str]:
        return {user.username: self.demo_token(user, lifetime) for user in DEMO_USERS}

    def demo_usernames(self) -> list[str]:
        return [user.username for user in DEMO_USERS]

    def demo_token_for(self, username: str) -> str | None:
        """A demo user's token by name (the web UI's development login), None for anyone else."""
        user = next((u for u in DEMO_USERS if u.username == username), None)
        return self.demo_token(user) if user else None

    def demo_token(self, user: DemoUser, lifetime: int = DEMO_TOKEN_LIFETIME) -> str:
        return self.mint(f"{user.username}-dev-subject", groups=user.groups, lifetime=lifetime,
                         extra={"name": user.name, "preferred_username": user.username,
                                "email": f"{user.username}@example.org"})

    def asgi_app(self) -> FastAPI:
        app = FastAPI(title="gateway development token issuer", docs_url=None, redoc_url=None,
                      openapi_url=None)
        base = self.issuer.rstrip("/")

        # Bearer validation needs only the keys and userinfo; there is no browser login here, so
        # no authorization or token endpoint is advertised.
        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer, "jwks_uri": f"{base}/jwk",
                "userinfo_endpoint": f"{base}/userinfo",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
            }

        @app.get("/userinfo")
        def userinfo(authorization: Annotated[str, Header()] = "") -> JSONResponse:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer":
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            try:
                claims = jwt.decode(token, self.public_jwk, algorithms=["RS256"],
                                    issuer=self.issuer, options={"verify_aud": False})
            except (JOSEError, ValueError, TypeError):
                return JSONResponse({"error": "invalid_token"}, status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return JSONResponse({key: claims[key] for key in _USERINFO_CLAIMS if key in claims})

        @app.post("/dev/token", response_class=PlainTextResponse)
        def dev_token(request: Request, user: str = "alice") -> PlainTextResponse:
            # Anyone who reaches this endpoint is anyone they like: never beyond this machine.
            if not _is_loopback(request.client.host if request.client else ""):
                return PlainTextResponse("demo tokens are handed out to loopback clients only\n",
                                         status_code=403)
            demo = next((u for u in DEMO_USERS if u.username == user), None)
            if demo is None:
                names = ", ".join(u.username for u in DEMO_USERS)
                return PlainTextResponse(f"no demo user {user!r}; there are {names}\n",
                                         status_code=404)
            return PlainTextResponse(self.demo_token(demo) + "\n")

        @app.get("/jwk")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.public_jwk]}

        return app


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
