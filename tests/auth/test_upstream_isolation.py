"""Nothing a refused token asks for reaches Marathon or Chronos, the user's token never goes
upstream, and one user's deployments are invisible to another (rows 26 and 28; ownership)."""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.auth.conftest import Gateway
from tests.auth.keys import SigningKey, unsigned_token

MUTATIONS = [("POST", "/v1/deployments", {"module": "image-classification-tf"}),
             ("DELETE", "/v1/deployments/gateway-abc", None),
             ("POST", "/v1/deployments/gateway-abc/restart", None),
             ("POST", "/v1/jobs", {"name": "x", "image": "busybox", "command": "true"}),
             ("POST", "/v1/jobs/x/run", None), ("DELETE", "/v1/jobs/x", None),
             ("GET", "/v1/jobs", None), ("GET", "/v1/deployments", None)]


def _forgeries(gateway: Gateway) -> dict[str, str]:
    issuer = gateway.issuer
    admin = issuer.claims(groups=["deep", "deep/admins"])
    return {
        "alg-none": unsigned_token(admin, with_signature_part=False, kid=issuer.key.kid),
        "attacker-key": SigningKey("attacker", kid=issuer.key.kid).sign(admin),
        "expired": issuer.token(groups=["deep/admins"], iat=1, exp=2),
        "untrusted-issuer": issuer.token(iss="https://rogue.test/"),
        "no-group": issuer.token(groups=["nobody"]),
    }


@pytest.mark.parametrize(("method", "path", "body"), MUTATIONS)
def test_refused_tokens_never_reach_marathon_or_chronos(gateway: Gateway, method: str, path: str,
                                                       body: object):
    for name, token in _forgeries(gateway).items():
        response = gateway.request(method, path, token, json=body)
        assert response.status_code in (401, 403), (name, response.status_code)
    assert gateway.recorder.upstream == []
    assert gateway.recorder.elsewhere == []


def test_an_issuer_outage_lets_nothing_through_to_marathon(gateway: Gateway):
    gateway.issuer.down = True
    response = gateway.request("POST", "/v1/deployments", gateway.issuer.token(),
                               json={"module": "image-classification-tf"})
    assert response.status_code == 401
    assert gateway.recorder.upstream == []


def test_upstream_calls_carry_only_the_gateways_own_credentials(gateway: Gateway):
    token = gateway.issuer.token("alice")
    response = gateway.request("POST", "/v1/deployments", token,
                               json={"module": "image-classification-tf",
                                     "hardware": {"cpus": 1, "memory": 2048}},
                               headers={"X-Forwarded-User": "bob", "OIDC_CLAIM_sub": "bob"})
    assert response.status_code == 202, response.text
    basic = "Basic " + base64.b64encode(b"gateway:marathon-secret").decode()
    marathon_calls = [r for r in gateway.recorder.upstream if r.url.host == "marathon.test"]
    assert marathon_calls
    for request in gateway.recorder.upstream:
        assert token not in str(request.headers) and token not in request.content.decode()
        assert "bob" not in str(request.headers).lower()
    assert {r.headers.get("authorization") for r in marathon_calls} == {basic}


def test_another_users_deployment_is_not_found_and_an_admin_sees_it(gateway: Gateway):
    alice = gateway.issuer.token("alice")
    created = gateway.request("POST", "/v1/deployments", alice,
                              json={"module": "image-classification-tf",
                                    "hardware": {"cpus": 1, "memory": 2048}})
    path = f"/v1/deployments/{created.json()['id']}"
    bob = gateway.issuer.token("bob")
    assert gateway.get(path, bob).status_code == 404
    assert gateway.request("DELETE", path, bob).status_code == 404
    assert gateway.request("POST", path + "/restart", bob).status_code == 404
    assert gateway.get("/v1/deployments", bob).json()["items"] == []
    assert len(gateway.recorder.cluster.apps) == 1
    admin = gateway.issuer.token("root", groups=["deep/admins"])
    assert gateway.get(path, admin).status_code == 200
    assert gateway.get(path, alice).status_code == 200


def test_every_v1_route_answers_401_without_a_token_and_calls_nothing(gateway: Gateway):
    operations = [(method.upper(), re.sub(r"\{[^}]+\}", "x", path))
                  for path, item in gateway.client.get("/openapi.json").json()["paths"].items()
                  if path.startswith("/v1") for method in item]
    assert len(operations) > 10
    for method, path in operations:
        response = gateway.request(method, path, None, json={})
        assert response.status_code == 401, (method, path, response.status_code)
    assert gateway.recorder.upstream == []


def test_cookies_an_upstream_or_issuer_sets_are_never_sent_back(gateway: Gateway):
    seen: list[httpx.Request] = []

    def setting_cookies(handle: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> Any:
        async def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            response = await handle(request)
            response.headers["Set-Cookie"] = f"session={request.url.host}; Path=/"
            return response
        return answer

    for server in (gateway.issuer, gateway.recorder.cluster):
        server.handle = setting_cookies(server.handle)  # type: ignore[method-assign]
    gateway.issuer.userinfo = {"alice": {"groups": ["deep"]}, "bob": {"groups": ["deep"]}}
    for user in ("alice", "bob"):
        token = gateway.issuer.token(user, groups=...)
        assert gateway.get("/v1/deployments", token).status_code == 200
        assert gateway.get("/v1/deployments", token).status_code == 200
    assert len(gateway.issuer.userinfo_tokens) == 2
    assert {r.url.host for r in seen} >= {"marathon.test", gateway.issuer.host}
    assert [str(r.url) for r in seen if "cookie" in r.headers] == []
