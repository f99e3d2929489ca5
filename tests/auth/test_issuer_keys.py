"""Keys by kid, rotation, a flood of unknown kids, an issuer that is down, and the token cache:
checklist rows 9-11 and 27, run against the verifier itself with a clock the tests move."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from gateway.auth import TokenVerifier
from gateway.auth.cache import VerifiedTokenCache
from gateway.auth.issuer import MAX_KEY_AGE, MIN_REFRESH_INTERVAL
from gateway.errors import Unauthorized
from tests.auth.conftest import Gateway, assert_invalid_token, settings
from tests.auth.keys import LocalIssuer, SigningKey, b64json


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Wall(Clock):
    def __init__(self) -> None:
        self.now = time.time()


Scenario = Callable[[TokenVerifier, LocalIssuer, Clock, Wall], Awaitable[None]]


def run(scenario: Scenario, **changes: Any) -> LocalIssuer:
    issuer = LocalIssuer()

    async def main() -> None:
        clock, wall = Clock(), Wall()
        async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handle)) as http:
            verifier = TokenVerifier(settings(**changes), http, clock=clock, wall_clock=wall)
            await scenario(verifier, issuer, clock, wall)

    asyncio.run(main())
    return issuer


async def refused(verifier: TokenVerifier, token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        await verifier.verify(token)
    assert caught.value.code == "invalid_token"
    return caught.value


def test_keys_are_fetched_once_and_reused_for_many_tokens():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        for n in range(5):
            assert (await verifier.verify(issuer.token(f"user-{n}"))).subject == f"user-{n}"
    issuer = run(scenario)
    assert issuer.calls == ["/.well-known/openid-configuration", "/jwk"]


def test_a_flood_of_unknown_kids_costs_at_most_one_jwks_refresh_per_interval():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        await verifier.verify(issuer.token())
        clock.now += MIN_REFRESH_INTERVAL + 1  # long after the first load
        # Random kids in front of one real payload and signature: the kid is what is looked up.
        _, payload, signature = issuer.token().split(".")
        forged = [f"{b64json({'alg': 'RS256', 'kid': uuid.uuid4().hex})}.{payload}.{signature}"
                  for _ in range(50)]
        await asyncio.gather(*(refused(verifier, token) for token in forged))
        assert issuer.jwks_fetches == 2  # the first load and a single refresh for all 50
        clock.now += MIN_REFRESH_INTERVAL / 2
        await refused(verifier, forged[0])
        assert issuer.jwks_fetches == 2
        clock.now += MIN_REFRESH_INTERVAL
        await refused(verifier, forged[1])
        assert issuer.jwks_fetches == 3
    run(scenario)


def test_a_rotated_key_is_picked_up_with_exactly_one_refetch():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        old_token = issuer.token("alice")
        await verifier.verify(old_token)
        clock.now += MIN_REFRESH_INTERVAL + 1
        issuer.rotate()
        before = issuer.jwks_fetches
        assert (await verifier.verify(issuer.token("bob"))).subject == "bob"
        assert issuer.jwks_fetches == before + 1
        assert (await verifier.verify(issuer.token("carol"))).subject == "carol"
        assert issuer.jwks_fetches == before + 1
    run(scenario)


def test_a_key_withdrawn_by_the_issuer_stops_working_after_the_caches_expire():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        token = issuer.token(exp=int(wall.now) + 8 * 3600)
        await verifier.verify(token)
        issuer.rotate(keep_old=False)
        await verifier.verify(token)  # still cached: verified a moment ago
        clock.now += MAX_KEY_AGE
        wall.now += MAX_KEY_AGE
        await refused(verifier, token)
    run(scenario)


@pytest.mark.parametrize("fault", ["down", "500", "html", "keys-not-a-list", "wrong-issuer"])
def test_an_issuer_that_cannot_be_reached_fails_closed(fault: str):
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        if fault == "down":
            issuer.down = True
        elif fault == "wrong-issuer":
            issuer.issuer = "https://iam.test/other/"
        else:
            issuer.jwks_answer = {"500": httpx.Response(500, text="oops"),
                                  "html": httpx.Response(200, text="<html>login</html>"),
                                  "keys-not-a-list": httpx.Response(200, json={"keys": "x"})}[fault]
        token = LocalIssuer().token()  # the issuer's real key, had we been able to fetch it
        error = await refused(verifier, token)
        assert "cannot be reached" in error.detail
        await refused(verifier, token)
    issuer = run(scenario)
    assert issuer.calls.count("/.well-known/openid-configuration") == 1  # no retry storm


@pytest.mark.parametrize("jwks_uri", ["http://iam.test/jwk", "file:///etc/passwd", None, 42])
def test_a_discovery_document_pointing_to_keys_over_plain_http_is_not_followed(jwks_uri: object):
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        issuer.discovery_changes = {"jwks_uri": jwks_uri}
        error = await refused(verifier, issuer.token())
        assert "cannot be reached" in error.detail
    issuer = run(scenario)
    assert issuer.calls == ["/.well-known/openid-configuration"]


def test_keys_we_already_have_keep_working_while_the_issuer_is_down():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        await verifier.verify(issuer.token("alice"))
        issuer.down = True
        clock.now += MAX_KEY_AGE + 1
        assert (await verifier.verify(issuer.token("bob"))).subject == "bob"
    run(scenario)


def test_unusable_keys_in_the_jwks_are_skipped_and_the_signing_key_still_works():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        key = issuer.key.public_jwk
        issuer.published = [
            {"kty": "EC", "crv": "P-256", "kid": key["kid"], "x": "AA", "y": "AA"},
            {**SigningKey("enc").public_jwk, "kid": key["kid"], "use": "enc"},
            {**SigningKey("ops").public_jwk, "kid": key["kid"], "key_ops": ["encrypt"]},
            {"kty": "oct", "kid": key["kid"], "k": "c2VjcmV0"}, "not a key", key]
        assert (await verifier.verify(issuer.token())).subject == "alice"
    run(scenario)


@pytest.mark.parametrize("broken", [{"n": "AA"}, {"n": "", "e": ""}, {"n": 5, "e": None},
                                    {"n": "!!"}, {"n": "AQAB" * 100, "e": "AA"}])
def test_a_malformed_published_key_refuses_the_token_without_an_error(broken: dict[str, Any]):
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        issuer.published = [{**issuer.key.public_jwk, **broken}]
        await refused(verifier, issuer.token())
    run(scenario)


def test_two_published_keys_with_the_same_kid_are_not_guessed_between():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        issuer.published.append({**SigningKey("twin").public_jwk, "kid": issuer.key.kid})
        await refused(verifier, issuer.token())
    run(scenario)


def test_a_verified_token_is_not_verified_again(monkeypatch: pytest.MonkeyPatch):
    from gateway.auth import jws
    decoded: list[str] = []
    real_decode = jws.jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jws.jwt, "decode", counting_decode)

    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        token = issuer.token()
        for _ in range(20):
            await verifier.verify(token)
    run(scenario)
    assert len(decoded) == 1


def test_parallel_requests_with_one_new_token_share_one_verification(
        monkeypatch: pytest.MonkeyPatch):
    from gateway.auth import jws
    decoded: list[str] = []
    real_decode = jws.jwt.decode
    monkeypatch.setattr(jws.jwt, "decode",
                        lambda token, *a, **k: decoded.append(token) or real_decode(token, *a, **k))

    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        issuer.userinfo["alice"] = {"groups": ["deep"]}
        token = issuer.token("alice", groups=...)
        identities = await asyncio.gather(*(verifier.verify(token) for _ in range(20)))
        assert {identity.groups for identity in identities} == {frozenset({"deep"})}
        forged = token[:-6] + "AAAAAA"
        results = await asyncio.gather(*(verifier.verify(forged) for _ in range(5)),
                                       return_exceptions=True)
        assert all(isinstance(result, Unauthorized) for result in results)
    issuer = run(scenario)
    assert len(issuer.userinfo_tokens) == 1
    assert len(decoded) == 2  # the token once, the forgery once


def test_a_cached_token_is_forgotten_when_it_expires():
    async def scenario(verifier: TokenVerifier, issuer: LocalIssuer, clock: Clock, wall: Wall):
        token = issuer.token(exp=int(wall.now) + 60)
        await verifier.verify(token)
        wall.now += 61 + 30  # past exp and the leeway
        await refused(verifier, token)
    run(scenario)


def test_the_token_cache_is_bounded_and_keeps_the_recently_used():
    cache: VerifiedTokenCache[str] = VerifiedTokenCache(max_entries=3)
    for n in range(3):
        cache.put(f"t{n}", f"v{n}", expires_at=2000, now=1000)
    assert cache.get("t0", 1001) == "v0"  # t0 is now the most recently used
    cache.put("t3", "v3", expires_at=2000, now=1001)
    assert len(cache) == 3
    assert cache.get("t1", 1002) is None and cache.get("t0", 1002) == "v0"


def test_the_token_cache_never_holds_a_token_past_its_age_limit_or_exp():
    cache: VerifiedTokenCache[str] = VerifiedTokenCache(max_age=300)
    cache.put("long", "v", expires_at=10_000, now=1000)
    cache.put("short", "v", expires_at=1010, now=1000)
    cache.put("expired", "v", expires_at=999, now=1000)
    assert cache.get("long", 1299) == "v" and cache.get("long", 1300) is None
    assert cache.get("short", 1009) == "v" and cache.get("short", 1010) is None
    assert cache.get("expired", 1000) is None


def test_the_gateway_answers_401_not_500_when_the_jwks_is_garbage(gateway: Gateway):
    gateway.issuer.jwks_answer = httpx.Response(200, content=b"\xff\xfe not json")
    assert_invalid_token(gateway.me(gateway.issuer.token()))
