"""Tokens an attacker can make without the issuer's private key: checklist rows 4-8 and 12-14.

Every one is a 401 invalid_token, and none of them reaches Marathon or Chronos.
"""

from __future__ import annotations

import json

import pytest

from tests.auth.conftest import Gateway, assert_invalid_token
from tests.auth.keys import SigningKey, b64json, b64url, ec_key_pair, hmac_token, unsigned_token


def _refused(gateway: Gateway, token: str) -> None:
    assert_invalid_token(gateway.me(token))
    assert_invalid_token(gateway.request("POST", "/v1/deployments", token,
                                         json={"module": "image-classification-tf"}))
    assert gateway.recorder.upstream == []


@pytest.mark.parametrize("token", [
    "opaque-access-token-42-characters-long-xx", "one.dot", "a.b.c.d",
    "eyJhbGciOiJSU0EtT0FFUCJ9.ZW5j.a2V5.aXY.dGFn",  # JWE compact: five parts
    "a.b.c", "~~~~.~~~~.~~~~", "bm90IGpzb24.eyJzdWIiOiJ4In0.c2ln",  # header not JSON
    b64json({"alg": "RS256"}) + "." + b64json(["an", "array"]) + ".c2ln",
    b64json(["RS256"]) + "." + b64json({"sub": "x"}) + ".c2ln"])
def test_a_token_that_is_not_a_signed_jwt_is_refused(gateway: Gateway, token: str):
    _refused(gateway, token)


@pytest.mark.parametrize("with_signature_part", [False, True])
def test_an_unsigned_alg_none_token_is_refused(gateway: Gateway, with_signature_part: bool):
    token = unsigned_token(gateway.issuer.claims(groups=["deep", "deep/admins"]),
                           with_signature_part=with_signature_part, kid=gateway.issuer.key.kid)
    _refused(gateway, token)


@pytest.mark.parametrize("form", ["pem", "der", "jwk-json", "modulus"])
def test_hs256_signed_with_the_issuers_public_key_is_refused(gateway: Gateway, form: str):
    key = gateway.issuer.key
    secret = {"pem": key.public_pem, "der": key.public_der,
              "jwk-json": json.dumps(key.public_jwk).encode(),
              "modulus": key.public_jwk["n"].encode()}[form]
    _refused(gateway, hmac_token(gateway.issuer.claims(), secret, kid=key.kid))


def test_hs256_is_refused_even_when_an_operator_lists_it(gateway: Gateway):
    from pydantic import ValidationError

    from tests.auth.conftest import settings
    with pytest.raises(ValidationError, match="unsupported algorithms"):
        settings(oidc_algorithms="RS256,HS256")


def test_an_algorithm_outside_the_configured_list_is_refused(gateway: Gateway):
    # Properly signed by the issuer's own key, but RS384 is not configured.
    token = gateway.issuer.key.sign(gateway.issuer.claims(), alg="RS384")
    _refused(gateway, token)
    assert gateway.issuer.calls == []  # refused before any key was looked up


def test_an_ec_token_is_refused_when_only_rs256_is_configured(gateway: Gateway):
    from jose import jwt
    pem, public = ec_key_pair()
    gateway.issuer.published.append(public)
    token = jwt.encode(gateway.issuer.claims(), pem, algorithm="ES256", headers={"kid": "ec-1"})
    _refused(gateway, token)


def test_a_tampered_payload_is_refused(gateway: Gateway):
    header, _, signature = gateway.issuer.token("alice").split(".")
    forged_claims = b64json(gateway.issuer.claims("alice", groups=["deep", "deep/admins"]))
    _refused(gateway, f"{header}.{forged_claims}.{signature}")


def test_a_tampered_signature_is_refused(gateway: Gateway):
    header, claims, signature = gateway.issuer.token().split(".")
    flipped = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    _refused(gateway, f"{header}.{claims}.{flipped}")


def test_a_token_signed_by_an_attackers_key_under_the_issuers_kid_is_refused(gateway: Gateway):
    attacker = SigningKey("attacker", kid=gateway.issuer.key.kid)
    _refused(gateway, attacker.sign(gateway.issuer.claims(groups=["deep/admins"])))


def test_a_token_without_kid_is_refused_when_the_issuer_publishes_several_keys(gateway: Gateway):
    gateway.issuer.published.append(SigningKey("second").public_jwk)
    _refused(gateway, gateway.issuer.key.sign(gateway.issuer.claims(), kid=None))


def test_a_token_without_kid_signed_by_another_key_is_refused(gateway: Gateway):
    _refused(gateway, SigningKey("attacker").sign(gateway.issuer.claims(), kid=None))


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
def test_keys_offered_in_the_token_header_are_ignored(gateway: Gateway, header: str):
    attacker = SigningKey("attacker")
    offered = {"jwk": attacker.public_jwk, "jku": "https://attacker.test/jwks.json",
               "x5u": "https://attacker.test/cert.pem",
               "x5c": [b64url(attacker.public_der)]}[header]
    token = attacker.sign(gateway.issuer.claims(groups=["deep/admins"]),
                          headers={header: offered}, kid=gateway.issuer.key.kid)
    _refused(gateway, token)
    assert gateway.recorder.elsewhere == []  # nothing fetched from attacker.test


def test_a_critical_header_extension_is_refused(gateway: Gateway):
    token = gateway.issuer.key.sign(gateway.issuer.claims(),
                                    headers={"crit": ["exp-ext"], "exp-ext": 1})
    _refused(gateway, token)


def test_a_token_typed_as_something_other_than_an_access_token_is_refused(gateway: Gateway):
    token = gateway.issuer.key.sign(gateway.issuer.claims(), headers={"typ": "logout+jwt"})
    _refused(gateway, token)


def test_the_same_claims_properly_signed_are_accepted(gateway: Gateway):
    # The control for this file: the refusals above are about the forgery, not the claims.
    assert gateway.me(gateway.issuer.token()).status_code == 200
