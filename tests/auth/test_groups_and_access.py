"""Who gets in and who is an admin: groups, wlcg.groups, AARC entitlements, userinfo (row 22)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from gateway.auth import TokenVerifier
from gateway.auth.groups import canonical_entitlement, groups_from_claims
from gateway.errors import Forbidden
from tests.auth.conftest import Gateway, settings, start_gateway
from tests.auth.keys import LocalIssuer

VO = "urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu"
CLAIMS = ["groups", "wlcg.groups", "entitlements", "eduperson_entitlement"]


def _insufficient_scope(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="gateway", error="insufficient_scope"')
    assert response.json()["code"] == "insufficient_scope"


@pytest.fixture
def egi_gateway() -> Iterator[Gateway]:
    yield from start_gateway(required_groups=VO, admin_groups="/deep/admins")


def test_a_valid_token_without_a_required_group_gets_403_insufficient_scope(gateway: Gateway):
    _insufficient_scope(gateway.me(gateway.issuer.token(groups=["other", "deeper", "Deep"])))
    assert gateway.recorder.upstream == []


def test_a_valid_token_in_a_required_group_gets_in(gateway: Gateway):
    assert gateway.me(gateway.issuer.token(groups=["other", "deep"])).status_code == 200


def test_an_admin_group_alone_is_enough_to_get_in(gateway: Gateway):
    response = gateway.me(gateway.issuer.token(groups=["deep/admins"]))
    assert response.status_code == 200 and response.json()["admin"] is True


@pytest.mark.parametrize("entitlement", [
    "urn:mace:egi.eu:group:vo.ai4eosc.eu.evil:role=member#aai.egi.eu",
    "urn:mace:egi.eu:group:vo.other.eu:role=member#aai.egi.eu",
    "urn:mace:egi.eu:group:vo.ai4eosc.eu:role=vm_operator#aai.egi.eu",
    "urn:mace:egi.eu:group:vo.ai4eosc.eu:sub:role=member#aai.egi.eu",
    "urn:mace:egi.eu:group:vo.ai4eosc#aai.egi.eu",
    "urn:mace:egi.eu.evil:group:vo.ai4eosc.eu:role=member#aai.egi.eu",
    "xurn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu",
    "urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu ",
    "urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu.evil",
    "vo.ai4eosc.eu"])
def test_entitlement_look_alikes_do_not_match(egi_gateway: Gateway, entitlement: str):
    token = egi_gateway.other.token(eduperson_entitlement=[entitlement], groups=...)
    _insufficient_scope(egi_gateway.me(token))


@pytest.mark.parametrize("claim", ["eduperson_entitlement", "entitlements"])
def test_the_exact_entitlement_gets_in_from_either_claim(egi_gateway: Gateway, claim: str):
    token = egi_gateway.other.token(**{claim: [VO], "groups": ...})
    response = egi_gateway.me(token)
    assert response.status_code == 200
    assert VO in response.json()["groups"]


def test_an_entitlement_prefix_is_compared_case_insensitively_only_where_urns_are(
        egi_gateway: Gateway):
    token = egi_gateway.other.token(entitlements=[VO.replace("urn:mace:", "URN:MACE:")],
                                    groups=...)
    assert egi_gateway.me(token).status_code == 200
    upper_vo = VO.replace("vo.ai4eosc.eu", "VO.AI4EOSC.EU")
    _insufficient_scope(egi_gateway.me(egi_gateway.other.token(entitlements=[upper_vo],
                                                               groups=...)))


def test_a_requirement_without_the_authority_matches_the_entitlement_with_it():
    (with_authority, without) = canonical_entitlement(VO) or ("", "")
    assert without == VO.split("#")[0]
    assert groups_from_claims({"entitlements": [VO]}, CLAIMS) == {with_authority, without}


def test_group_claims_are_read_as_exact_strings_never_split():
    claims = {"groups": "deep other", "wlcg.groups": ["/deep", 7, None, ["/nested"]],
              "entitlements": ["not-a-urn", "urn:mace:egi.eu:res:gocdb#aai.egi.eu"]}
    assert groups_from_claims(claims, CLAIMS) == {"deep other", "/deep"}


def test_wlcg_groups_count_with_their_leading_slash(egi_gateway: Gateway):
    admin = egi_gateway.issuer.token(**{"groups": ..., "wlcg.groups": ["/deep/admins"]})
    assert egi_gateway.me(admin).json()["admin"] is True
    not_admin = egi_gateway.issuer.token(**{"groups": ..., "wlcg.groups": ["deep/admins"],
                                            "entitlements": [VO]})
    assert egi_gateway.me(not_admin).json()["admin"] is False


def test_no_required_groups_lets_any_valid_token_in():
    for gateway in start_gateway(required_groups=""):
        assert gateway.me(gateway.issuer.token(groups=[])).status_code == 200


def test_groups_missing_from_an_access_token_come_from_userinfo(gateway: Gateway):
    # IAM's default profile: no groups, name or email in the access token.
    gateway.issuer.userinfo["alice"] = {"groups": ["deep"], "name": "Alice A.",
                                        "email": "alice@example.org",
                                        "preferred_username": "alice"}
    token = gateway.issuer.token("alice", groups=...)
    for _ in range(3):
        response = gateway.me(token)
        assert response.status_code == 200
    body = response.json()
    assert body["groups"] == ["deep"] and body["email"] == "alice@example.org"
    assert body["name"] == "Alice A." and body["username"] == "alice"
    assert gateway.issuer.userinfo_tokens == [token]  # once, with the same token, then cached


def test_userinfo_answering_for_another_subject_is_ignored(gateway: Gateway):
    gateway.issuer.userinfo["alice"] = {"groups": ["deep", "deep/admins"]}
    token = gateway.issuer.token("mallory", groups=...)
    original = gateway.issuer.handle

    async def wrong_subject(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/userinfo"):
            return httpx.Response(200, json={"sub": "alice", "groups": ["deep", "deep/admins"]})
        return await original(request)

    gateway.issuer.handle = wrong_subject  # type: ignore[method-assign]
    _insufficient_scope(gateway.me(token))


def test_userinfo_failing_is_a_403_that_says_why(gateway: Gateway):
    gateway.issuer.userinfo_status = 503
    token = gateway.issuer.token("alice", groups=...)
    response = gateway.me(token)
    _insufficient_scope(response)
    assert "could not be obtained" in response.json()["detail"]


def test_groups_in_the_token_are_trusted_without_asking_userinfo(gateway: Gateway):
    gateway.issuer.userinfo["alice"] = {"groups": ["deep/admins"]}
    response = gateway.me(gateway.issuer.token("alice", groups=["deep"]))
    assert response.json()["admin"] is False
    assert gateway.issuer.userinfo_tokens == []


def test_me_says_who_the_token_names_and_nothing_invented(gateway: Gateway):
    token = gateway.issuer.token("alice-sub", groups=["deep", "deep/admins"], name="Alice",
                                 email="a@example.org", preferred_username="alice")
    body = gateway.me(token).json()
    from gateway.identity import owner_key
    assert set(body.pop("quota")) == {"limits", "used", "detail"}
    assert body == {"subject": "alice-sub", "issuer": gateway.issuer.issuer,
                    "owner": owner_key(gateway.issuer.issuer, "alice-sub"), "name": "Alice",
                    "username": "alice", "email": "a@example.org",
                    "groups": ["deep", "deep/admins"], "admin": True, "scopes": []}


def test_the_same_subject_at_two_issuers_is_two_owners(gateway: Gateway):
    here = gateway.me(gateway.issuer.token("alice")).json()
    there = gateway.me(gateway.other.token("alice")).json()
    assert here["owner"] != there["owner"]


def test_after_a_userinfo_failure_the_same_token_asks_again_within_a_minute():
    issuer = LocalIssuer()
    issuer.userinfo_status = 503

    async def scenario() -> None:
        wall = [time.time()]
        async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handle)) as http:
            verifier = TokenVerifier(settings(), http, wall_clock=lambda: wall[0])
            token = issuer.token("alice", groups=...)
            with pytest.raises(Forbidden):
                await verifier.verify(token)
            issuer.userinfo_status, issuer.userinfo["alice"] = 200, {"groups": ["deep"]}
            with pytest.raises(Forbidden):
                await verifier.verify(token)  # the failure is remembered briefly...
            wall[0] += 31
            assert (await verifier.verify(token)).groups == {"deep"}  # ...not for long

    asyncio.run(scenario())
    assert len(issuer.userinfo_tokens) == 2


@pytest.fixture
def scoped_gateway() -> Iterator[Gateway]:
    yield from start_gateway(oidc_required_scopes="openid,compute.create")


@pytest.mark.parametrize("scopes", [{}, {"scope": "openid"}, {"scope": "openid compute.create.x"},
                                    {"scope": ["openid", "compute.create"]},
                                    {"scope": "openid compute"}])
def test_a_token_without_a_required_scope_gets_403_naming_the_scopes(scoped_gateway: Gateway,
                                                                     scopes: dict[str, object]):
    token = scoped_gateway.issuer.token(groups=["deep", "deep/admins"], **scopes)
    response = scoped_gateway.me(token)
    _insufficient_scope(response)
    assert response.headers["www-authenticate"].endswith('scope="compute.create openid"')
    assert scoped_gateway.recorder.upstream == []


@pytest.mark.parametrize("scopes", [{"scope": "openid profile compute.create"},
                                    {"scp": ["compute.create", "openid"]}])
def test_a_token_with_the_required_scopes_gets_in(scoped_gateway: Gateway,
                                                  scopes: dict[str, object]):
    response = scoped_gateway.me(scoped_gateway.issuer.token(**scopes))
    assert response.status_code == 200
    assert {"openid", "compute.create"} <= set(response.json()["scopes"])
