"""The whole flow against a real third-party OpenID provider (oidc-provider-mock), not our own
code on both sides: discovery, JWKS, a token it signed, groups, refusals, and a key rotation
when the provider restarts with a new key.

The provider needs Python 3.12, so it lives in its own environment (.venv-op, made by
``make test``) and runs as a subprocess on a free loopback port.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import TokenVerifier
from gateway.config import Settings
from gateway.errors import Unauthorized
from tests.support.paths import JOB_SPECS, REPO

PROVIDER = REPO / ".venv-op" / "bin" / "oidc-provider-mock"
CLIENT_ID = "gateway"  # the mock signs only ID tokens, for this client: it is our audience
pytestmark = pytest.mark.slow


class Provider:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not PROVIDER.exists():
            pytest.fail(f"{PROVIDER} is missing: run `make .venv-op/.installed` (part of make test)")
        self._process = subprocess.Popen([str(PROVIDER), "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/.well-known/openid-configuration").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("oidc-provider-mock did not start within 30 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def id_token(self, sub: str, claims: dict[str, object]) -> dict[str, str]:
        """Log ``sub`` in through the authorization-code flow, as a browser would."""
        with httpx.Client(base_url=self.url) as http:
            assert http.put(f"/users/{sub}", json=claims).status_code == 204
            redirect = "http://127.0.0.1:9/callback"
            authorized = http.post("/oauth2/authorize", params={
                "client_id": CLIENT_ID, "redirect_uri": redirect, "response_type": "code",
                "scope": "openid profile email", "state": "s", "nonce": "n"}, data={"sub": sub})
            assert authorized.status_code == 302, authorized.text
            code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
            tokens = http.post("/oauth2/token", auth=(CLIENT_ID, "secret"), data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
            assert tokens.status_code == 200, tokens.text
            answer: dict[str, str] = tokens.json()
            return answer


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
                                        "name": "Alice Example"})
    outsider = provider.id_token("eve", {"groups": ["elsewhere"]})
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
    before = provider.id_token("alice", {"groups": ["deep"]})["id_token"]

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
            after = provider.id_token("alice", {"groups": ["deep"]})["id_token"]
            assert after.split(".")[0] != before.split(".")[0]  # another kid
            clock.now += 61
            assert (await verifier.verify(after)).subject == "alice"
            verifier.cache = type(verifier.cache)()  # forget, so the old token is checked again
            with pytest.raises(Unauthorized):
                await verifier.verify(before)
            issuer = verifier.issuers[provider.url]
            assert issuer.refreshes == 2  # the first load and the rotation

    asyncio.run(scenario())
