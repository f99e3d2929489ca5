"""Properly signed tokens whose claims do not fit: checklist rows 15-21."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.auth.conftest import Gateway, assert_invalid_token, start_gateway
from tests.auth.keys import AUDIENCE, ISSUER, OTHER_ISSUER


@pytest.fixture
def open_gateway() -> Iterator[Gateway]:
    """No audience configured: aud is not checked."""
    yield from start_gateway(oidc_audience="")


def test_an_expired_token_is_refused_and_says_so(gateway: Gateway):
    now = int(time.time())
    response = gateway.me(gateway.issuer.token(iat=now - 7200, exp=now - 120))
    assert_invalid_token(response)
    assert 'error_description="The token has expired;' in response.headers["www-authenticate"]


def test_a_token_expired_within_the_leeway_is_still_accepted(gateway: Gateway):
    assert gateway.me(gateway.issuer.token(exp=int(time.time()) - 5)).status_code == 200


def test_a_token_without_exp_is_refused(gateway: Gateway):
    assert_invalid_token(gateway.me(gateway.issuer.token(exp=...)))


@pytest.mark.parametrize(("claim", "value"), [
    ("exp", None), ("exp", [2**40]), ("exp", "4102444800"), ("exp", True), ("exp", 1e300),
    ("exp", int(time.time()) + 400 * 86400), pytest.param("exp", 10**400, id="exp-beyond-float"),
    pytest.param("iat", -(10**400), id="iat-beyond-float"), ("nbf", None), ("nbf", {"a": 1}), ("iat", [1]),
    ("iat", "now")])
def test_time_claims_of_the_wrong_type_or_absurd_size_are_refused_not_500(gateway: Gateway,
                                                                         claim: str, value: object):
    assert_invalid_token(gateway.me(gateway.issuer.token(**{claim: value})))


def test_a_token_not_yet_valid_is_refused(gateway: Gateway):
    assert_invalid_token(gateway.me(gateway.issuer.token(nbf=int(time.time()) + 600)))


def test_nbf_within_the_leeway_is_accepted(gateway: Gateway):
    assert gateway.me(gateway.issuer.token(nbf=int(time.time()) + 10)).status_code == 200


def test_a_token_issued_in_the_future_is_refused(gateway: Gateway):
    now = int(time.time())
    assert_invalid_token(gateway.me(gateway.issuer.token(iat=now + 600, exp=now + 4200)))


@pytest.mark.parametrize("iss", [
    ISSUER.rstrip("/"), ISSUER + "/", ISSUER.replace("https://", "http://"),
    "https://IAM.test/", "https://iam.test.evil/", ...])
def test_a_token_with_a_wrong_or_missing_issuer_is_refused(gateway: Gateway, iss: object):
    assert_invalid_token(gateway.me(gateway.issuer.token(iss=iss)))
    assert gateway.recorder.elsewhere == []  # no discovery from a URL taken from the token


def test_a_token_naming_another_trusted_issuer_but_signed_with_this_ones_key_is_refused(
        gateway: Gateway):
    # The key is looked up at the issuer the token names, which never published it.
    assert_invalid_token(gateway.me(gateway.issuer.token(iss=OTHER_ISSUER)))


def test_a_token_of_the_other_trusted_issuer_is_accepted_with_its_own_key(gateway: Gateway):
    response = gateway.me(gateway.other.token("egi-user"))
    assert response.status_code == 200
    assert response.json()["issuer"] == OTHER_ISSUER


def test_a_token_from_an_untrusted_issuer_is_refused_without_contacting_it(gateway: Gateway):
    assert_invalid_token(gateway.me(gateway.issuer.token(iss="https://rogue.test/")))
    assert gateway.recorder.elsewhere == [] and gateway.issuer.calls == []


@pytest.mark.parametrize("aud", [..., "https://other.test", ["a", "b"], [], 42, {"aud": AUDIENCE},
                                 AUDIENCE + "/", [AUDIENCE + "x"]])
def test_a_token_for_another_audience_or_none_is_refused(gateway: Gateway, aud: object):
    assert_invalid_token(gateway.me(gateway.issuer.token(aud=aud)))


def test_a_token_naming_the_gateway_among_several_audiences_is_accepted(gateway: Gateway):
    assert gateway.me(gateway.issuer.token(aud=["other", AUDIENCE])).status_code == 200


def test_without_a_configured_audience_aud_is_not_checked(open_gateway: Gateway):
    assert open_gateway.me(open_gateway.issuer.token(aud="anything")).status_code == 200
    assert open_gateway.me(open_gateway.issuer.token(aud=...)).status_code == 200


def _id_token_claims() -> dict[str, object]:
    return {"aud": "some-client", "azp": "some-client", "nonce": "n-0S6", "at_hash": "77QmUPtjPfzW",
            "auth_time": int(time.time())}


def test_an_id_token_presented_as_an_access_token_is_refused_by_audience(gateway: Gateway):
    assert_invalid_token(gateway.me(gateway.issuer.token(**_id_token_claims())))


def test_an_id_token_is_refused_even_when_no_audience_is_configured(open_gateway: Gateway):
    assert_invalid_token(open_gateway.me(open_gateway.issuer.token(**_id_token_claims())))
    keycloak_id_token = open_gateway.issuer.token(typ="ID", azp="some-client")
    assert_invalid_token(open_gateway.me(keycloak_id_token))


@pytest.mark.parametrize("sub", [..., "", 42, None, "x" * 2000])
def test_a_token_without_a_usable_subject_is_refused(gateway: Gateway, sub: object):
    assert_invalid_token(gateway.me(gateway.issuer.token(sub=sub)))
