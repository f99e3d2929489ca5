"""The third-party OpenID provider oidc-provider-mock, run as a subprocess on a free loopback port.

It needs Python 3.12, so it lives in its own environment (.venv-op, made by ``make test``).
``users`` are offered on its login page with one click, with the claims given (groups...). It
issues refresh tokens, and its token endpoint answers a refresh with a new ID token too.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.paths import REPO
from tests.support.processes import stop_process

PROVIDER = REPO / ".venv-op" / "bin" / "oidc-provider-mock"


class Provider:
    def __init__(self, users: Sequence[dict[str, Any]] = (), *,
                 token_max_age: int | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._users = list(users)
        self._token_max_age = token_max_age  # seconds, of access and ID tokens; default 1 h
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not PROVIDER.exists():
            pytest.fail(f"{PROVIDER} is missing: run `make .venv-op/.installed` (part of make test)")
        command = [str(PROVIDER), "-H", "127.0.0.1", "-p", str(self.port)]
        for user in self._users:
            command += ["--user-claims", json.dumps(user)]
        if self._token_max_age is not None:
            command += ["--token-max-age", str(self._token_max_age)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
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
            stop_process(self._process)
            self._process = None

    def id_token(self, sub: str, claims: dict[str, object], client_id: str) -> dict[str, str]:
        """Log ``sub`` in through the authorization-code flow, as a browser would."""
        with httpx.Client(base_url=self.url) as http:
            assert http.put(f"/users/{sub}", json=claims).status_code == 204
            redirect = "http://127.0.0.1:9/callback"
            authorized = http.post("/oauth2/authorize", params={
                "client_id": client_id, "redirect_uri": redirect, "response_type": "code",
                "scope": "openid profile email", "state": "s", "nonce": "n"}, data={"sub": sub})
            assert authorized.status_code == 302, authorized.text
            code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
            tokens = http.post("/oauth2/token", auth=(client_id, "secret"), data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
            assert tokens.status_code == 200, tokens.text
            answer: dict[str, str] = tokens.json()
            return answer
