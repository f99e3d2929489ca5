"""Verifying signed access tokens (JWS) from the configured issuers with python-jose, safely.

python-jose trusts too much by default (see auth.md §2): we pin algorithms from configuration,
pick exactly one key by ``kid``, require ``exp``, compare ``iss`` exactly and cap the size first.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from jose import jwt
from jose.exceptions import JOSEError

from gateway.auth.jwks import IssuerKeys
from gateway.config import Settings
from gateway.errors import Forbidden, Unauthorized
from gateway.identity import Identity

MAX_TOKEN_BYTES = 16 * 1024
LEEWAY_SECONDS = 30


class TokenVerifier:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._issuers = {iss: IssuerKeys(iss, http) for iss in settings.oidc_issuers}

    async def verify(self, token: str) -> Identity:
        claims = await self._verified_claims(token)
        identity = self._identity(claims)
        required = set(self._settings.required_groups)
        if required and not (required & identity.groups) and not identity.is_admin:
            raise Forbidden("Your token does not carry a group allowed to use this gateway.")
        return identity

    async def _verified_claims(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise Unauthorized("The token is not a signed JWT of acceptable size.")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.get_unverified_claims(token)
        except (JOSEError, TypeError, ValueError):
            raise Unauthorized("The token cannot be parsed.") from None
        alg, kid, issuer = header.get("alg"), header.get("kid"), unverified.get("iss")
        if alg not in self._settings.oidc_algorithms:
            raise Unauthorized("The token's algorithm is not accepted.")
        if not isinstance(issuer, str) or issuer not in self._issuers:
            raise Unauthorized("The token's issuer is not trusted.")
        key = await self._issuers[issuer].key_for(kid if isinstance(kid, str) else None, alg)
        audience = self._settings.oidc_audience or None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[alg], issuer=issuer, audience=audience,
                options={"require_exp": True, "require_iss": True, "require_sub": True,
                         "require_aud": audience is not None, "verify_at_hash": False,
                         "leeway": LEEWAY_SECONDS},
            )
        except (JOSEError, TypeError, ValueError):
            raise Unauthorized("The token is invalid or expired.") from None
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] > time.time() + 366 * 86400:
            raise Unauthorized("The token's lifetime is not acceptable.")
        return claims

    def _identity(self, claims: dict[str, Any]) -> Identity:
        groups: set[str] = set()
        for claim in self._settings.groups_claims:
            value = claims.get(claim)
            if isinstance(value, str):
                value = [value]
            if isinstance(value, list):
                groups.update(item for item in value if isinstance(item, str))
        admin = bool(set(self._settings.admin_groups) & groups)
        return Identity(
            subject=str(claims["sub"]), issuer=str(claims["iss"]),
            name=_str_or_none(claims.get("name") or claims.get("preferred_username")),
            email=_str_or_none(claims.get("email")), groups=frozenset(groups), is_admin=admin,
        )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
