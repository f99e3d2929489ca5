"""One issuer's signing keys: discovery document, JWKS, lookup by ``kid``, rate-limited refresh."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from gateway.errors import Unauthorized

# An unknown kid may mean the issuer rotated its keys; refetch at most this often so that
# tokens with random kids cannot make us hammer the issuer.
REFRESH_INTERVAL_SECONDS = 60.0
_KTY_FOR_ALG_PREFIX = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


class IssuerKeys:
    def __init__(self, issuer: str, http: httpx.AsyncClient) -> None:
        self.issuer = issuer
        self._http = http
        self._keys: list[dict[str, Any]] = []
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None, alg: str) -> dict[str, Any]:
        key = self._find(kid, alg)
        if key is None:
            async with self._lock:
                if time.monotonic() - self._fetched_at >= REFRESH_INTERVAL_SECONDS:
                    await self._refresh()
                key = self._find(kid, alg)
        if key is None:
            raise Unauthorized("The token was signed with an unknown key.")
        return key

    def _find(self, kid: str | None, alg: str) -> dict[str, Any] | None:
        kty = _KTY_FOR_ALG_PREFIX.get(alg[:2])
        candidates = [k for k in self._keys
                      if k.get("kty") == kty and k.get("use", "sig") == "sig"
                      and k.get("alg", alg) == alg]
        if kid is not None:
            candidates = [k for k in candidates if k.get("kid") == kid]
        # Without a kid we accept only an unambiguous key.
        return candidates[0] if len(candidates) == 1 else None

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            config = await self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if config.get("issuer") != self.issuer or not isinstance(config.get("jwks_uri"), str):
                raise ValueError("discovery document does not match the issuer")
            jwks = await self._get_json(config["jwks_uri"])
            keys = jwks.get("keys")
            if not isinstance(keys, list):
                raise ValueError("JWKS without keys")
        except (httpx.HTTPError, ValueError):
            # Fail closed: keep what we had, but an unknown key stays unknown.
            return
        self._keys = [k for k in keys if isinstance(k, dict)]

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url, timeout=5.0)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
