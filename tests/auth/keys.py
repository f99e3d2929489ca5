"""Keys and tokens the auth tests make themselves: a local issuer they fully control."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

ISSUER = "https://iam.test/"
OTHER_ISSUER = "https://checkin.test/auth/realms/egi"
AUDIENCE = "https://gateway.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


@cache
def _rsa_private(label: str) -> rsa.RSAPrivateKey:
    # One key per label for the whole run: key generation is the slow part of these tests.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SigningKey:
    label: str
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def private_pem(self) -> str:
        return _rsa_private(self.label).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    @property
    def public_pem(self) -> bytes:
        return _rsa_private(self.label).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def public_der(self) -> bytes:
        return _rsa_private(self.label).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def public_jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = jwk.construct(self.public_pem, "RS256").to_dict()
        key.update({"kid": self.kid, "use": "sig"})
        return key

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256",
             headers: dict[str, Any] | None = None, kid: str | None = "same") -> str:
        extra = dict(headers or {})
        if kid == "same":
            extra["kid"] = self.kid
        elif kid is not None:
            extra["kid"] = kid
        return str(jwt.encode(claims, self.private_pem, algorithm=alg, headers=extra))


def ec_key_pair() -> tuple[str, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    public_jwk: dict[str, Any] = jwk.construct(public, "ES256").to_dict()
    public_jwk.update({"kid": "ec-1", "use": "sig"})
    return pem, public_jwk


def hmac_token(claims: dict[str, Any], secret: bytes, *, kid: str | None = None) -> str:
    """An HS256 token 'signed' with whatever bytes an attacker has, e.g. the issuer's public key."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def unsigned_token(claims: dict[str, Any], *, with_signature_part: bool, kid: str | None) -> str:
    header: dict[str, Any] = {"alg": "none", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signature = b64url(b"x" * 32) if with_signature_part else ""
    return f"{b64json(header)}.{b64json(claims)}.{signature}"


class LocalIssuer:
    """An OpenID provider behind httpx.MockTransport: discovery, JWKS and userinfo, with faults."""

    def __init__(self, issuer: str = ISSUER, label: str = "iam") -> None:
        self.issuer = issuer
        self.key = SigningKey(label)
        self.published: list[dict[str, Any]] = [self.key.public_jwk]
        self.calls: list[str] = []  # paths asked, in order
        self.down = False
        self.jwks_answer: httpx.Response | None = None  # replaces the JWKS answer when set
        self.userinfo: dict[str, dict[str, Any]] = {}  # sub -> claims
        self.userinfo_status = 200
        self.userinfo_tokens: list[str] = []
        self.discovery_changes: dict[str, Any] = {}
        self.host = httpx.URL(issuer).host

    @property
    def jwks_fetches(self) -> int:
        return self.calls.count("/jwk")

    def claims(self, sub: str = "alice", **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": sub, "aud": AUDIENCE, "iat": now,
                                  "exp": now + 3600, "jti": uuid.uuid4().hex,
                                  "client_id": "cli", "groups": ["deep"]}
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not Ellipsis}

    def token(self, sub: str = "alice", **changes: Any) -> str:
        """A valid token, with claims changed (``claim=...`` removes one)."""
        return self.key.sign(self.claims(sub, **changes))

    def rotate(self, *, keep_old: bool = True) -> SigningKey:
        new = SigningKey(self.key.label + "-next")
        self.published = ([*self.published] if keep_old else []) + [new.public_jwk]
        self.key = new
        return new

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if self.down:
            raise httpx.ConnectError("issuer down", request=request)
        base = self.issuer.rstrip("/")
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={
                "issuer": self.issuer, "jwks_uri": f"{base}/jwk",
                "userinfo_endpoint": f"{base}/userinfo",
                "id_token_signing_alg_values_supported": ["RS256"], **self.discovery_changes})
        if path.endswith("/jwk"):
            return self.jwks_answer or httpx.Response(200, json={"keys": self.published})
        if path.endswith("/userinfo"):
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            self.userinfo_tokens.append(token)
            sub = jwt.get_unverified_claims(token)["sub"]
            if self.userinfo_status != 200 or sub not in self.userinfo:
                return httpx.Response(self.userinfo_status if self.userinfo_status != 200 else 401)
            return httpx.Response(200, json={"sub": sub, **self.userinfo[sub]})
        return httpx.Response(404)
