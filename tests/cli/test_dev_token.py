"""`gateway dev-token USER` hands out a fresh demo token, so a `gateway dev` session outlives the
tokens printed at start; the issuer gives them to loopback clients only."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.cli import main
from gateway.cli.errors import Exit
from gateway.devissuer import DevIssuer

pytestmark = pytest.mark.slow


def test_a_fresh_token_from_the_running_issuer_is_accepted_by_the_gateway(cli, dev, capsys):
    assert main(["dev-token", "bob", "--issuer", dev.issuer_url]) == Exit.OK
    token = capsys.readouterr().out.strip()
    assert token and token not in dev.tokens.values()
    code, out, err = cli("me", "-o", "json", token=token)
    assert code == Exit.OK, err
    assert '"username": "bob"' in out


def test_the_issuer_comes_from_the_environment_or_the_command_says_what_to_pass(dev, monkeypatch,
                                                                                capsys):
    monkeypatch.delenv("GATEWAY_DEV_ISSUER", raising=False)
    assert main(["dev-token", "alice"]) == Exit.CONFIG
    assert "--issuer" in capsys.readouterr().err
    monkeypatch.setenv("GATEWAY_DEV_ISSUER", dev.issuer_url)
    assert main(["dev-token", "alice"]) == Exit.OK


def test_only_loopback_clients_get_tokens_and_only_for_demo_users():
    issuer = DevIssuer("http://127.0.0.1:1/")

    def post(client: tuple[str, int], user: str) -> httpx.Response:
        with TestClient(issuer.asgi_app(), client=client) as http:
            return http.post("/dev/token", params={"user": user})

    assert post(("127.0.0.1", 5000), "alice").status_code == 200
    assert post(("::1", 5000), "admin").status_code == 200
    assert post(("192.0.2.7", 5000), "alice").status_code == 403
    assert post(("127.0.0.1", 5000), "mallory").status_code == 404
