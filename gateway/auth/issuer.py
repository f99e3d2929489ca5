"""One trusted issuer: its discovery document and signing keys, fetched, cached and looked up by kid.

Only issuers an operator configured are ever contacted, at URLs derived from the configured
issuer string, never from anything in a token. An unknown ``kid`` may mean the issuer rotated
its keys, so it triggers a refresh, but at most one per ``min_refresh_interval`` for the whole
issuer: tokens with random kids cannot make us hammer it. Concurrent requests share one refresh.
When the issuer cannot be reached, keys we never saw stay unknown (the token is refused).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from gateway.config import is_loopback_url

log = logging.getLogger(__name__)

MIN_REFRESH_INTERVAL = 60.0
# Keys are refetched after this long even without an unknown kid, so a key the issuer withdrew
# stops being accepted.
MAX_KEY_AGE = 3600.0
FETCH_TIMEOUT = 5.0
_MAX_DOCUMENT_BYTES = 512 * 1024
_KTY_FOR_ALG_PREFIX = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


class IssuerUnavailable(Exception):
    """The issuer's discovery document or JWKS could not be fetched or made no sense."""


@dataclass(frozen=True)
class IssuerMetadata:
    jwks_uri: str
    userinfo_endpoint: str | None


class TrustedIssuer:
    def __init__(self, issuer: str, http: httpx.AsyncClient, *,
                 clock: Callable[[], float] = time.monotonic,
                 min_refresh_interval: float = MIN_REFRESH_INTERVAL,
                 max_key_age: float = MAX_KEY_AGE) -> None:
        self.issuer = issuer
        self._http = http
        self._clock = clock
        self._min_refresh_interval = min_refresh_interval
        self._max_key_age = max_key_age
        self._metadata: IssuerMetadata | None = None
        self._keys: tuple[dict[str, Any], ...] = ()
        self._fetched_at = float("-inf")  # last successful refresh
        self._attempted_at = float("-inf")  # last attempt, successful or not
        self._lock = asyncio.Lock()
        self.refreshes = 0  # attempts, for metrics and tests
        self.failed_refreshes = 0

    async def signing_key(self, kid: str | None, alg: str) -> dict[str, Any] | None:
        """The one published key for ``kid`` and ``alg``, or None (after at most one refresh)."""
        if self._clock() - self._fetched_at >= self._max_key_age:
            await self._refresh_if_allowed()
        key = self._find(kid, alg)
        if key is None:
            await self._refresh_if_allowed()
            key = self._find(kid, alg)
        return key

    async def userinfo_endpoint(self) -> str | None:
        if self._metadata is None:
            await self._refresh_if_allowed()
        return self._metadata.userinfo_endpoint if self._metadata else None

    @property
    def reachable(self) -> bool:
        """Whether we have ever loaded this issuer's keys."""
        return self._metadata is not None

    def _find(self, kid: str | None, alg: str) -> dict[str, Any] | None:
        kty = _KTY_FOR_ALG_PREFIX.get(alg[:2])
        candidates = [key for key in self._keys if _usable_for(key, kty, alg)]
        if kid is not None:
            candidates = [key for key in candidates if key.get("kid") == kid]
        # Without a kid only an unambiguous key will do; with one, kids must be unique.
        return candidates[0] if len(candidates) == 1 else None

    async def _refresh_if_allowed(self) -> None:
        asked_at = self._clock()
        async with self._lock:
            # Someone else refreshed while we waited: their answer is ours.
            if self._attempted_at >= asked_at:
                return
            if self._clock() - self._attempted_at < self._min_refresh_interval:
                return
            self._attempted_at = self._clock()
            self.refreshes += 1
            try:
                metadata = await self._fetch_metadata()
                keys = await self._fetch_keys(metadata.jwks_uri)
            except IssuerUnavailable as exc:
                # Fail closed: what we had stays, anything new stays unknown until the next try.
                log.warning("issuer %s: could not refresh signing keys: %s", self.issuer, exc)
                self.failed_refreshes += 1
                return
            self._metadata, self._keys, self._fetched_at = metadata, keys, self._clock()

    async def _fetch_metadata(self) -> IssuerMetadata:
        document = await self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        # OpenID Connect Discovery §4.3: the document must name exactly the issuer we asked.
        if document.get("issuer") != self.issuer:
            raise IssuerUnavailable("the discovery document names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not self._acceptable_url(jwks_uri):
            raise IssuerUnavailable("the discovery document has no usable jwks_uri")
        userinfo = document.get("userinfo_endpoint")
        if not isinstance(userinfo, str) or not self._acceptable_url(userinfo):
            userinfo = None
        return IssuerMetadata(jwks_uri=jwks_uri, userinfo_endpoint=userinfo)

    async def _fetch_keys(self, jwks_uri: str) -> tuple[dict[str, Any], ...]:
        keys = (await self._get_json(jwks_uri)).get("keys")
        if not isinstance(keys, list):
            raise IssuerUnavailable("the JWKS has no keys")
        return tuple(key for key in keys if isinstance(key, dict))

    def _acceptable_url(self, url: str) -> bool:
        # A document fetched over https must not send us to plain http (loopback aside, for tests).
        scheme = urlsplit(url).scheme
        return scheme == "https" or (scheme == "http" and is_loopback_url(url)
                                     and is_loopback_url(self.issuer))

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, timeout=FETCH_TIMEOUT,
                                            headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise IssuerUnavailable(f"{url}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise IssuerUnavailable(f"{url}: HTTP {response.status_code}")
        if len(response.content) > _MAX_DOCUMENT_BYTES:
            raise IssuerUnavailable(f"{url}: document too large")
        try:
            data = response.json()
        except ValueError:
            raise IssuerUnavailable(f"{url}: not JSON") from None
        if not isinstance(data, dict):
            raise IssuerUnavailable(f"{url}: not a JSON object")
        return data


def _usable_for(key: dict[str, Any], kty: str | None, alg: str) -> bool:
    ops = key.get("key_ops")
    return (key.get("kty") == kty and key.get("use", "sig") == "sig"
            and key.get("alg", alg) == alg
            and (ops is None or (isinstance(ops, list) and "verify" in ops)))
