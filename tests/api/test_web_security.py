"""The web UI's guards: CSRF on every form, identity only from a verified bearer token (or, in
gateway dev only, the development login's cookie), and a refused token sends the user through
login again instead of showing an error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.api.web_client import WebClient, web_client

DEPLOY = "/ui/modules/image-classification-tf/deploy"
FORM = {"service": "deepaas", "hardware.cpus": "1", "hardware.memory": "2048"}


@pytest.fixture
def web() -> Iterator[WebClient]:
    yield from web_client(ui_signin_url="/ui/redirect_uri?logout=%2Fui%2F")


@pytest.fixture
def dev() -> Iterator[WebClient]:
    yield from web_client(dev_login=True)


def test_a_form_without_the_gateways_token_is_refused_and_nothing_is_sent(web: WebClient):
    refused = web.post(DEPLOY, FORM)
    assert refused.status_code == 403 and "Reload the page" in refused.text
    forged = web.post(DEPLOY, {**FORM, "csrf": "1700000000.deadbeef"})
    assert forged.status_code == 403
    assert not web.cluster.apps and web.cluster.posts == 0


def test_a_token_made_for_another_user_is_worth_nothing(web: WebClient):
    bobs = web.csrf("/ui/jobs", "bob")
    refused = web.post(DEPLOY, {**FORM, "csrf": bobs}, "alice")
    assert refused.status_code == 403 and not web.cluster.apps


def test_a_cross_site_post_is_refused_even_with_a_valid_token(web: WebClient):
    token = web.csrf()
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "https://evil.example"}):
        refused = web.post(DEPLOY, {**FORM, "csrf": token}, headers=headers)
        assert refused.status_code == 403, headers
        assert "refused" in refused.text
    assert not web.cluster.apps
    same = web.post(DEPLOY, {**FORM, "csrf": token},
                    headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})
    assert same.status_code == 303


def test_only_url_encoded_forms_are_read(web: WebClient):
    answer = web.client.post(DEPLOY, json={**FORM, "csrf": web.csrf()},
                             headers=web.headers("alice"))
    assert answer.status_code == 403 and not web.cluster.apps


def test_identity_headers_alone_sign_nobody_in(web: WebClient):
    forged = {"X-Forwarded-User": "admin", "OIDC_CLAIM_sub": "admin", "Remote-User": "admin",
              "OIDC-CLAIM-groups": "deep,deep/admins", "X-Remote-User": "admin"}
    page = web.page("/ui/deployments", None, headers=forged)
    assert page.status_code == 401 and "Sign in again" in page.text
    with_token = web.page("/ui/deployments", "alice", headers=forged, params={"all": "1"})
    assert with_token.status_code == 403  # still alice, not an admin


def test_a_refused_token_leads_to_signing_in_again_not_to_an_error(web: WebClient):
    expired = web.issuer.mint("alice-dev-subject", groups=("deep",), lifetime=-3600)
    page = web.page("/ui/jobs", None, headers={"Authorization": f"Bearer {expired}"})
    assert page.status_code == 401
    assert 'href="/ui/redirect_uri?logout=%2Fui%2F"' in page.text
    assert 'http-equiv="refresh"' in page.text and "expired" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_pages_are_never_cached_framed_or_given_foreign_scripts(web: WebClient):
    page = web.page("/ui/")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert "http://" not in page.text.split("<main>")[0] and "https://" not in page.text


def test_the_development_login_exists_only_when_gateway_dev_asks_for_it(web: WebClient):
    assert web.page("/ui/dev-login", None).status_code == 404
    assert web.client.post("/ui/dev-login", data={"user": "admin"}).status_code == 404


def test_the_development_login_keeps_the_token_in_a_strict_http_only_cookie(dev: WebClient):
    assert dev.page("/ui/", None).headers["location"] == "/ui/dev-login"
    login = dev.page("/ui/dev-login", None)
    assert "Sign in as alice" in login.text and "Sign in as admin" in login.text
    signed_in = dev.client.post("/ui/dev-login", data={"user": "alice"}, follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    home = dev.client.get("/ui/", follow_redirects=False)
    assert home.status_code == 200 and "Alice Example" in home.text
    # The API never takes the cookie: bearer tokens only.
    assert dev.client.get("/v1/me").status_code == 401


def test_the_development_login_refuses_other_sites_and_unknown_users(dev: WebClient):
    cross = dev.client.post("/ui/dev-login", data={"user": "admin"},
                            headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert cross.status_code == 403 and "set-cookie" not in cross.headers
    nobody = dev.client.post("/ui/dev-login", data={"user": "mallory"}, follow_redirects=False)
    assert nobody.status_code == 403


def test_an_expired_development_cookie_sends_the_user_to_the_login_again(dev: WebClient):
    dev.client.cookies.set("gateway_dev_token",
                           dev.issuer.mint("alice-dev-subject", groups=("deep",), lifetime=-3600))
    answer = dev.client.get("/ui/jobs", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/dev-login"


def test_gateway_serve_refuses_the_development_login():
    result = subprocess.run([sys.executable, "-m", "gateway", "serve"], capture_output=True,
                            text=True, timeout=60,
                            env={"GATEWAY_UI_DEV_LOGIN": "true", "PATH": "/usr/bin:/bin",
                                 "GATEWAY_OIDC_ISSUERS": "https://iam.example.org/"})
    assert result.returncode == 3
    assert "GATEWAY_UI_DEV_LOGIN is for `gateway dev` only" in result.stderr
