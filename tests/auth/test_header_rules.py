"""RFC 6750 answers to how a token is (or is not) sent: checklist rows 1-3, 24, 25, 29 and 30."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.auth.conftest import Gateway, assert_invalid_token
from tests.auth.keys import AUDIENCE
from tests.support.paths import JOB_SPECS


def test_a_request_without_a_token_gets_401_with_a_bare_bearer_challenge(gateway: Gateway):
    response = gateway.get("/v1/me", None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="gateway"'
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize("header", [
    "Basic " + base64.b64encode(b"gateway:marathon-secret").decode(),
    "Digest username=alice", "abcdef", "Token abc.def.ghi"])
def test_other_authorization_schemes_count_as_no_bearer_token(gateway: Gateway, header: str):
    response = gateway.get("/v1/me", None, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="gateway"'
    assert gateway.recorder.upstream == []


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b", 'Bearer "x"'])
def test_a_malformed_bearer_header_is_an_invalid_request(gateway: Gateway, header: str):
    response = gateway.get("/v1/me", None, headers={"Authorization": header})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    assert response.json()["code"] == "invalid_request"


def test_a_token_in_the_query_string_as_well_as_the_header_is_an_invalid_request(gateway: Gateway):
    token = gateway.issuer.token()
    response = gateway.get("/v1/me", token, params={"access_token": token})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_a_token_only_in_the_query_string_is_not_accepted(gateway: Gateway):
    response = gateway.get("/v1/me", None, params={"access_token": gateway.issuer.token()})
    assert response.status_code == 400


def test_two_authorization_headers_are_an_invalid_request(gateway: Gateway):
    token = gateway.issuer.token()
    response = gateway.client.get("/v1/me", headers=[("Authorization", f"Bearer {token}"),
                                                     ("Authorization", f"Bearer {token}")])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_an_oversized_token_is_refused_before_it_is_parsed(gateway: Gateway):
    huge = gateway.issuer.token(padding="x" * 20_000)
    response = gateway.me(huge)
    assert_invalid_token(response)
    assert gateway.issuer.calls == []  # not even the issuer's keys were looked up


@pytest.mark.parametrize("method", ["GET", "OPTIONS", "DELETE"])
def test_identity_headers_sent_by_a_client_never_stand_in_for_a_token(gateway: Gateway, method: str):
    forged = {"OIDC_CLAIM_sub": "admin", "OIDC-CLAIM-groups": "deep,deep/admins",
              "OIDC_access_token": "x", "X-Forwarded-User": "admin", "X-Remote-User": "admin",
              "REMOTE_USER": "admin", "X-Auth-Request-User": "admin"}
    response = gateway.request(method, "/v1/deployments", None, headers=forged)
    assert response.status_code in (401, 405)
    assert gateway.recorder.upstream == []


def test_identity_headers_beside_a_valid_token_change_nothing(gateway: Gateway):
    token = gateway.issuer.token("alice")
    response = gateway.me(token, headers={"X-Forwarded-User": "bob", "OIDC_CLAIM_sub": "bob",
                                          "OIDC_CLAIM_groups": "deep/admins", "REMOTE_USER": "bob"})
    assert response.status_code == 200
    assert response.json()["subject"] == "alice"
    assert response.json()["admin"] is False


def test_a_preflight_request_derives_no_identity_and_calls_nothing_upstream(gateway: Gateway):
    response = gateway.client.options("/v1/deployments", headers={
        "Origin": "https://evil.test", "Access-Control-Request-Method": "DELETE"})
    assert response.status_code in (401, 405)
    assert gateway.recorder.upstream == []
    assert gateway.issuer.calls == []


def test_error_answers_never_echo_the_token_or_its_claims(gateway: Gateway):
    marker = 'evil"\\sub<script>'
    token = gateway.issuer.token(sub=marker, aud="https://elsewhere.test")
    response = gateway.me(token)
    assert_invalid_token(response)
    for where in (response.text, response.headers["www-authenticate"]):
        assert token not in where and marker not in where and "elsewhere" not in where
    assert AUDIENCE not in response.text


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_the_bearer_scheme_name_is_case_insensitive(gateway: Gateway, scheme: str):
    token = gateway.issuer.token()
    response = gateway.get("/v1/me", None, headers={"Authorization": f"{scheme} {token}"})
    assert response.status_code == 200


def test_tokens_never_appear_in_the_logs(gateway: Gateway, caplog: pytest.LogCaptureFixture):
    caplog.set_level("DEBUG")
    gateway.issuer.userinfo_status = 500
    tokens = [gateway.issuer.token(), gateway.issuer.token(groups=...),
              gateway.issuer.token(iss="https://rogue.test/"), gateway.issuer.token(exp=1)]
    for token in tokens:
        gateway.me(token)
    assert caplog.records  # the refusals are logged...
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for token in tokens:  # ...but no token, nor any of its parts
        assert all(part not in logged for part in token.split("."))


def test_a_token_offered_in_the_url_is_not_written_to_the_access_log(
        gateway: Gateway, caplog: pytest.LogCaptureFixture):
    token = gateway.issuer.token()
    caplog.set_level(logging.INFO, logger="gateway.access")

    response = gateway.get(f"/v1/me?access_token={token}", None)

    assert response.status_code == 400
    access = [r for r in caplog.records if r.name == "gateway.access"]
    assert [(r.path, r.status) for r in access] == [("/v1/me", 400)]  # type: ignore[attr-defined]
    assert all(part not in caplog.text for part in token.split("."))


def test_gateway_serve_writes_its_own_access_lines_and_lets_requests_finish_on_sigterm(
        monkeypatch):
    """uvicorn's access log would print query strings: serve turns it off (the gateway's own
    line has the path only), and gives requests in flight a bounded time on shutdown."""
    from gateway.cli import main
    from gateway.serving import DrainingServer

    started = []
    monkeypatch.setattr(DrainingServer, "run", lambda self: started.append(self))
    monkeypatch.setenv("GATEWAY_OIDC_ISSUERS", "https://iam.example.org/")
    monkeypatch.setenv("GATEWAY_JOB_SPECS_DIR", str(JOB_SPECS))
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        assert main(["serve", "--shutdown-timeout", "7"]) == 0
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    (server,) = started
    assert server.config.access_log is False and server.config.log_config is None
    assert server.config.timeout_graceful_shutdown == 7
