"""The development issuer publishes what a real one does for bearer validation, and nothing more."""

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.devissuer import DevIssuer


@pytest.fixture
def issuer() -> DevIssuer:
    return DevIssuer("http://127.0.0.1:9/")


def test_discovery_names_the_issuer_its_keys_and_userinfo(issuer):
    with TestClient(issuer.asgi_app()) as client:
        document = client.get("/.well-known/openid-configuration").json()
        assert document["issuer"] == "http://127.0.0.1:9/"
        keys = client.get("/jwk").json()["keys"]
    assert document["jwks_uri"] == "http://127.0.0.1:9/jwk"
    assert [key["kid"] for key in keys] == [issuer.kid]
    assert "d" not in keys[0]   # the public half only


def test_userinfo_answers_the_claims_of_a_token_it_signed(issuer):
    token = issuer.mint("alice-sub", groups=("deep",), extra={"email": "a@example.org"})
    with TestClient(issuer.asgi_app()) as client:
        answer = client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert answer.json() == {"sub": "alice-sub", "email": "a@example.org", "groups": ["deep"]}


def test_userinfo_refuses_a_token_from_another_key(issuer):
    other = DevIssuer("http://127.0.0.1:9/").mint("mallory")
    with TestClient(issuer.asgi_app()) as client:
        answer: httpx.Response = client.get("/userinfo", headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 401


def test_the_dev_info_file_is_private_even_when_it_existed_before(tmp_path):
    from gateway.devstack import DevInfo

    path = tmp_path / "dev-info.json"
    path.write_text("old")
    path.chmod(0o644)
    DevInfo("http://g", "http://m", "http://c", "http://s", "http://i", {"alice": "t"}).write(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert '"alice": "t"' in path.read_text()
