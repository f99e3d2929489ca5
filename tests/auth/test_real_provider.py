"""The whole flow against a real third-party OpenID provider (oidc-provider-mock), not our own
code on both sides: discovery, JWKS, a token it signed, groups, refusals, and a key rotation
when the provider restarts with a new key.

The provider runs as a subprocess (tests/support/oidc_provider.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import TokenVerifier
from gateway.config import Settings
from gateway.errors import Unauthorized
from tests.support.oidc_provider import Provider
from tests.support.paths import JOB_SPECS

CLIENT_ID = "gateway"  # the mock signs only ID tokens, for this client: it is our audience
pytestmark = pytest.mark.slow


@pytest.fixture
def provider() -> Iterator[Provider]:
    op = Provider()
    op.start()
    try:
        yield op
    finally:
        op.stop()


def _settings(issuer: str) -> Settings:
    return Settings(oidc_issuers=[issuer], oidc_audience=CLIENT_ID, required_groups=["deep"],
                    admin_groups=["deep/admins"], job_specs_dir=JOB_SPECS, chronos_url="")


def test_a_token_from_a_real_provider_is_verified_end_to_end(provider: Provider):
    alice = provider.id_token("alice", {"groups": ["deep"], "email": "alice@example.org",
                                        "name": "Alice Example"}, CLIENT_ID)
    outsider = provider.id_token("eve", {"groups": ["elsewhere"]}, CLIENT_ID)
    with TestClient(create_app(_settings(provider.url))) as client:
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {alice['id_token']}"})
        assert me.status_code == 200, me.text
        assert me.json()["subject"] == "alice" and me.json()["issuer"] == provider.url
        assert me.json()["groups"] == ["deep"] and me.json()["admin"] is False
        assert me.json()["email"] == "alice@example.org"

        def status(token: str) -> int:
            return client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

        assert status(outsider["id_token"]) == 403
        assert status(alice["access_token"]) == 401  # opaque: not a JWT we can verify
        header, _, signature = alice["id_token"].split(".")
        assert status(f"{header}.{outsider['id_token'].split('.')[1]}.{signature}") == 401


def test_a_provider_restarting_with_a_new_key_is_followed_with_one_refresh(provider: Provider):
    before = provider.id_token("alice", {"groups": ["deep"]}, CLIENT_ID)["id_token"]

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    async def scenario() -> None:
        clock = Clock()
        async with httpx.AsyncClient() as http:
            verifier = TokenVerifier(_settings(provider.url), http, clock=clock)
            assert (await verifier.verify(before)).subject == "alice"
            provider.stop()
            provider.start()  # same port, same issuer, a fresh signing key
            after = provider.id_token("alice", {"groups": ["deep"]}, CLIENT_ID)["id_token"]
            assert after.split(".")[0] != before.split(".")[0]  # another kid
            clock.now += 61
            assert (await verifier.verify(after)).subject == "alice"
            verifier.cache = type(verifier.cache)()  # forget, so the old token is checked again
            with pytest.raises(Unauthorized):
                await verifier.verify(before)
            issuer = verifier.issuers[provider.url]
            assert issuer.refreshes == 2  # the first load and the rotation

    asyncio.run(scenario())
