"""From a bearer token to an authorized :class:`Identity`: the one entry point the routes use.

Order matters: cheap shape checks first, then the issuer (only a configured one, chosen by exact
``iss``), then one key by ``kid`` from that issuer's JWKS, then the signature and claims, then the
identity (with userinfo when the token carries no groups), and authorization last, so a forged
token never gets as far as a group check or an upstream call. Verified identities are cached per
token; the authorization rules run on every request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from gateway.auth.cache import VerifiedTokenCache, token_digest
from gateway.auth.groups import carries_groups, groups_from_claims, token_scopes
from gateway.auth.issuer import TrustedIssuer
from gateway.auth.jws import TokenRejected, looks_like_id_token, parse_unverified, verify_signed
from gateway.auth.policy import AccessPolicy
from gateway.auth.userinfo import fetch_userinfo
from gateway.config import Settings
from gateway.errors import Forbidden, InsufficientScope, Unauthorized
from gateway.identity import Identity

log = logging.getLogger(__name__)

# When userinfo could not be had, remember the poorer identity only briefly.
_INCOMPLETE_IDENTITY_MAX_AGE = 30.0


class TokenVerifier:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time,
                 cache: VerifiedTokenCache[tuple[Identity, bool]] | None = None) -> None:
        self._settings = settings
        self._http = http
        self._wall_clock = wall_clock
        self.issuers = {iss: TrustedIssuer(iss, http, clock=clock) for iss in settings.oidc_issuers}
        self.policy = AccessPolicy(settings.required_groups, settings.admin_groups,
                                   settings.oidc_required_scopes)
        self.cache: VerifiedTokenCache[tuple[Identity, bool]] = (
            cache if cache is not None else VerifiedTokenCache())
        self._inflight: dict[bytes, asyncio.Future[tuple[Identity, bool]]] = {}
        # Refused tokens by reason (TokenRejected.reason, or why the policy said 403), for /metrics.
        self.refusals: Counter[str] = Counter()

    async def verify(self, token: str) -> Identity:
        """The caller behind ``token``: 401 if it is not a valid token, 403 if not allowed in."""
        cached = self.cache.get(token, self._wall_clock())
        identity, complete = cached if cached is not None else await self._verify_once(token)
        try:
            self.policy.authorize(identity, groups_unavailable=not complete)
        except Forbidden as refused:
            self.refusals["insufficient_scope" if isinstance(refused, InsufficientScope)
                          else "not_in_group" if complete else "groups_unavailable"] += 1
            raise
        return identity

    def verified_before(self, token: str) -> Identity | None:
        """The caller behind a token already verified and still cached (no signature check,
        no waiting), or None; 403 if not allowed in (not counted: ``verify`` counts it when
        the request goes on to the route)."""
        cached = self.cache.get(token, self._wall_clock())
        if cached is None:
            return None
        identity, complete = cached
        self.policy.authorize(identity, groups_unavailable=not complete)
        return identity

    async def _verify_once(self, token: str) -> tuple[Identity, bool]:
        # Parallel requests with one new token share one verification (and userinfo call).
        key = token_digest(token)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._verify_fresh(token))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        # shield: one caller going away must not cancel the others' verification.
        return await asyncio.shield(task)

    async def _verify_fresh(self, token: str) -> tuple[Identity, bool]:
        claims = await self._verified_claims(token)
        identity, complete = await self._identity(claims, token)
        self.cache.put(token, (identity, complete), expires_at=float(claims["exp"]),
                       now=self._wall_clock(),
                       max_age=None if complete else _INCOMPLETE_IDENTITY_MAX_AGE)
        return identity, complete

    async def _verified_claims(self, token: str) -> dict[str, Any]:
        algorithms = self._settings.oidc_algorithms
        audience = self._settings.oidc_audience or None
        try:
            unverified = parse_unverified(token, algorithms)
            if audience is None and looks_like_id_token(unverified):
                raise TokenRejected("An ID token is not an access token.", "not_access_token")
            issuer = self.issuers.get(unverified.issuer or "")
            if issuer is None:
                # Never fetch anything for an issuer we were not told to trust (SSRF).
                raise TokenRejected("The token's issuer is not trusted.", "untrusted_issuer")
            key = await issuer.signing_key(unverified.kid, unverified.alg)
            if key is None:
                if issuer.reachable:
                    raise TokenRejected("The token was signed with a key its issuer does not "
                                        "publish.", "unknown_key")
                raise TokenRejected("The token's issuer cannot be reached to check it.",
                                    "issuer_unreachable")
            return verify_signed(token, key, algorithms=algorithms, issuer=issuer.issuer,
                                 audience=audience, leeway=self._settings.oidc_leeway,
                                 now=self._wall_clock())
        except TokenRejected as rejected:
            log.info("bearer token rejected: %s", rejected)
            self.refusals[rejected.reason] += 1
            raise Unauthorized(str(rejected)) from None

    async def _identity(self, claims: dict[str, Any], token: str) -> tuple[Identity, bool]:
        """The identity, and whether it is complete (False: userinfo was needed but failed)."""
        claim_names = self._settings.groups_claims
        complete = True
        endpoint = None
        if not carries_groups(claims, claim_names):
            endpoint = await self.issuers[claims["iss"]].userinfo_endpoint()
        if endpoint is not None:
            userinfo = await fetch_userinfo(self._http, endpoint, token, claims["sub"])
            if userinfo is None:
                complete = False
            else:
                # The token's own claims win over userinfo's; userinfo only fills gaps.
                claims = {**userinfo, **claims}
        groups = groups_from_claims(claims, claim_names)
        return Identity(
            subject=claims["sub"], issuer=claims["iss"],
            name=_text(claims.get("name")) or _text(claims.get("preferred_username")),
            email=_text(claims.get("email")), groups=groups,
            is_admin=self.policy.is_admin(groups),
            username=_text(claims.get("preferred_username")),
            scopes=token_scopes(claims),
        ), complete


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 256 else None
