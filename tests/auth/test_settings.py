"""The configuration names operators and scripts rely on, read from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.auth import AccessPolicy
from gateway.config import Settings


def _from_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_oidc_settings_are_read_from_their_documented_names(monkeypatch: pytest.MonkeyPatch):
    conf = _from_env(
        monkeypatch,
        GATEWAY_OIDC_ISSUERS="https://iam.example.org/, https://aai.egi.eu/auth/realms/egi",
        GATEWAY_OIDC_AUDIENCE="https://gateway.example.org",
        GATEWAY_OIDC_ALGORITHMS="RS256,ES256", GATEWAY_GROUPS_CLAIMS="wlcg.groups,entitlements",
        GATEWAY_REQUIRED_GROUPS="/deep,urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu",
        GATEWAY_ADMIN_GROUPS="/deep/admins", GATEWAY_OIDC_LEEWAY="10")
    assert conf.oidc_issuers == ["https://iam.example.org/", "https://aai.egi.eu/auth/realms/egi"]
    assert conf.oidc_audience == "https://gateway.example.org"
    assert conf.oidc_algorithms == ["RS256", "ES256"]
    assert conf.groups_claims == ["wlcg.groups", "entitlements"]
    assert conf.required_groups[1].startswith("urn:mace:egi.eu:group:vo.ai4eosc.eu")
    assert conf.admin_groups == ["/deep/admins"] and conf.oidc_leeway == 10


def test_the_defaults_check_rs256_tokens_without_audience_or_required_groups():
    conf = Settings()
    assert conf.oidc_algorithms == ["RS256"] and conf.oidc_audience == ""
    assert conf.required_groups == [] and conf.admin_groups == []
    assert conf.groups_claims == ["groups", "wlcg.groups", "entitlements", "eduperson_entitlement"]


@pytest.mark.parametrize("issuer", ["http://iam.example.org/", "ftp://iam.example.org/",
                                    "http://127.evil.example/", "http://localhost.evil.example/",
                                    "iam.example.org", "https://iam.example.org/?x=1"])
def test_an_issuer_that_is_not_https_or_not_a_plain_url_is_refused_at_start(
        monkeypatch: pytest.MonkeyPatch, issuer: str):
    with pytest.raises(ValidationError, match="issuer"):
        _from_env(monkeypatch, GATEWAY_OIDC_ISSUERS=issuer)


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:9400", "http://localhost:8080/",
                                    "http://[::1]:9400/realms/test", "http://127.0.0.2/"])
def test_plain_http_issuers_are_accepted_on_loopback_only(monkeypatch: pytest.MonkeyPatch,
                                                          issuer: str):
    assert _from_env(monkeypatch, GATEWAY_OIDC_ISSUERS=issuer).oidc_issuers == [issuer]


@pytest.mark.parametrize("algorithms", ["HS256", "none", "RS256,HS512", ""])
def test_symmetric_or_no_algorithms_are_refused_at_start(monkeypatch: pytest.MonkeyPatch,
                                                         algorithms: str):
    with pytest.raises(ValidationError, match="algorithms"):
        _from_env(monkeypatch, GATEWAY_OIDC_ALGORITHMS=algorithms)


def test_configured_entitlements_are_compared_in_canonical_form():
    policy = AccessPolicy(["URN:MACE:egi.eu:group:vo.example.eu#aai.egi.eu"], ["admins"])
    assert policy.required == {"urn:mace:egi.eu:group:vo.example.eu#aai.egi.eu"}
    assert policy.is_admin(frozenset({"admins"})) and not policy.is_admin(frozenset({"Admins"}))
