"""The web UI published under a path prefix (https://host/gpu-gateway/) by the deploy/apache
template, beside other applications of the host, and a session whose tokens live a few seconds
and are refreshed by mod_auth_openidc. Real Apache, real provider, real Chromium; the cluster is
the one test_ui_behind_apache.py uses, behind another Apache and another pair of replicas.
Screenshots go to test-artifacts/screenshots/prefixed-*.png."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.e2e.prefixed_site import PrefixedSite, prefixed_site
from tests.e2e.ui_browser import reload_until, shot, signed_in
from tests.e2e.ui_stack import CLIENT_ID, USERS, UiStack

pytestmark = pytest.mark.slow
PREFIX = "/gpu-gateway"
TOKEN_LIFETIME = 5  # seconds: shorter than OIDCRefreshAccessTokenBeforeExpiry's 60


@pytest.fixture(scope="module")
def site(stack: UiStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefixedSite]:
    with prefixed_site(stack, tmp_path_factory.mktemp("prefixed"), PREFIX,
                       token_max_age=TOKEN_LIFETIME) as running_site:
        yield running_site


@dataclass
class Traffic:
    """Every response a page got (its documents, forms' answers, redirects, assets, fetches)."""

    site: PrefixedSite
    responses: list[Response] = field(default_factory=list)

    def escaped(self) -> list[str]:
        """Addresses of the gateway's host outside the prefix: another application's there."""
        return [r.url for r in self.responses if r.url.startswith(self.site.apache.url)
                and not r.url.startswith(self.site.url + "/")]

    def failed(self) -> list[str]:
        return [f"{r.status} {r.url}" for r in self.responses
                if r.url.startswith(self.site.apache.url) and r.status >= 400]


def recorded(page: Page, site: PrefixedSite) -> Traffic:
    traffic = Traffic(site)
    page.on("response", lambda response: traffic.responses.append(response))
    return traffic


def assert_addresses_under_prefix(page: Page, site: PrefixedSite) -> None:
    """Every address the page names (links, forms, scripts, styles, log streams) that is the
    gateway's host's is under the prefix."""
    addresses: list[str] = page.eval_on_selector_all(
        "a[href], form[action], script[src], link[href], [data-url]",
        """nodes => nodes.map(n => n.getAttribute('href') || n.getAttribute('action')
                                  || n.getAttribute('src') || n.getAttribute('data-url'))""")
    ours = [a for a in addresses if a.startswith("/") or a.startswith(site.apache.url)]
    assert ours, addresses
    outside = [a for a in ours if not a.removeprefix(site.apache.url).startswith(PREFIX + "/")]
    assert not outside, outside


def _trusting(site: PrefixedSite) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=site.tls.ca_file)


def test_under_a_prefix_every_link_form_redirect_asset_and_log_stream_stays_under_it(
        site: PrefixedSite, browser: Browser):
    page = signed_in(browser, site, "alice")
    traffic = recorded(page, site)
    expect(page.locator("h1")).to_have_text("Module catalog")
    assert_addresses_under_prefix(page, site)
    shot(page, "prefixed-catalog")
    page.goto(f"{site.url}/")  # the site's own address leads to the UI
    expect(page).to_have_url(f"{site.url}/ui/")
    page.locator("article", has_text="plants-classification").get_by_text("Deploy").click()
    expect(page.locator("h1")).to_contain_text("Deploy")
    assert_addresses_under_prefix(page, site)
    page.fill("input[name='description']", "under the prefix")
    shot(page, "prefixed-deploy-form")
    page.get_by_role("button", name="Deploy").click()  # a form post, answered by a redirect
    expect(page.locator("h1")).to_contain_text("plants-classification")
    assert page.url.startswith(f"{site.url}/ui/deployments/"), page.url
    reload_until(page, "h1 .status", "running")
    assert_addresses_under_prefix(page, site)
    page.get_by_role("button", name="Follow live").first.click()
    expect(page.get_by_role("button", name="Stop following").first).to_be_visible()
    expect(page.locator("#log-stdout")).to_contain_text("Starting task")
    shot(page, "prefixed-deployment")
    page.get_by_role("button", name="Stop following").first.click()
    page.click("header >> text=My jobs")
    expect(page.locator("h1")).to_have_text("My jobs")
    assert_addresses_under_prefix(page, site)
    page.select_option("select[name='zone']", "Europe/Madrid")
    page.get_by_role("button", name="Set").click()  # a cookie whose path is under the prefix
    expect(page.locator("select[name='zone']")).to_have_value("Europe/Madrid")
    shot(page, "prefixed-jobs")
    page.click("header >> text=My deployments")
    expect(page.locator("table.list")).to_contain_text("under the prefix")
    page.get_by_text("Delete…").first.click()
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("h1")).to_have_text("My deployments")
    follows = [r for r in traffic.responses if "/log?stream=" in r.url]
    assert follows and all(r.url.startswith(f"{site.url}/ui/") for r in follows)
    assert {"gateway.css", "follow.js"} <= {r.url.rsplit("/", 1)[-1] for r in traffic.responses}
    assert not traffic.escaped(), traffic.escaped()
    assert not traffic.failed(), traffic.failed()

    assert page.locator("header a", has_text="Sign out").get_attribute("href") == site.signin_url
    page.click("header >> text=Sign out")
    page.wait_for_url(lambda url: url.startswith(f"{site.provider.url}/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    page.click("button[value='bob']")  # back under the prefix, logging in anew
    page.wait_for_url(f"{site.url}/ui/")
    expect(page.locator("header .who")).to_contain_text("Bob Example")
    assert not traffic.escaped(), traffic.escaped()
    assert not traffic.failed(), traffic.failed()
    # The rest of the host is left to other applications.
    for outside in ("/ui/", "/v1/me", "/oidc/redirect_uri"):
        answer = httpx.get(site.apache.url + outside, verify=_trusting(site))
        assert answer.status_code == 404, outside
    page.context.close()


def test_the_apis_location_under_a_prefix_leads_back_under_it(site: PrefixedSite):
    token = site.provider.id_token("bob", USERS["bob"], CLIENT_ID)["id_token"]
    with httpx.Client(base_url=site.apache.url, verify=_trusting(site),
                      headers={"Authorization": f"Bearer {token}"}) as http:
        created = http.post(f"{PREFIX}/v1/jobs", json={
            "name": "under-prefix", "image": "deephdc/deep-oc-generic-dev:cpu",
            "command": "true", "schedule": "R/2031-01-01T02:00:00/P1D"})
        assert created.status_code == 201, created.text
        assert created.headers["location"].startswith(f"{PREFIX}/v1/jobs/")
        assert http.get(created.headers["location"]).json()["name"] == "under-prefix"
        assert http.delete(created.headers["location"]).status_code == 204


def test_the_session_outlives_its_first_token_through_refreshes_without_a_new_login(
        site: PrefixedSite, browser: Browser):
    page = signed_in(browser, site, "bob")
    traffic = recorded(page, site)
    # Tokens living less than OIDCRefreshAccessTokenBeforeExpiry are refreshed on every request;
    # this is the one the gateway got last before the wait.
    first = site.bearers[-1]
    assert first["sub"] == "bob" and first["exp"] - first["iat"] == TOKEN_LIFETIME
    time.sleep(max(0.0, first["exp"] + 1 - time.time()))  # the replicas allow no clock skew

    page.click("header >> text=My deployments")

    expect(page.locator("h1")).to_have_text("My deployments")
    expect(page.locator("header .who")).to_contain_text("Bob Example")
    assert not [r.url for r in traffic.responses if r.url.startswith(site.provider.url)]
    latest = site.bearers[-1]
    assert latest["sub"] == "bob" and latest["exp"] > first["exp"]  # a new ID token, refreshed
    assert latest["auth_time"] == first["auth_time"]  # from the same login
    page.context.close()


def test_a_session_whose_refresh_is_refused_signs_in_again_under_the_prefix(
        site: PrefixedSite, browser: Browser):
    page = signed_in(browser, site, "alice")
    # The provider forgets alice's refresh tokens: the next refresh fails, and
    # mod_auth_openidc (logout_on_error) ends the session.
    assert httpx.post(f"{site.provider.url}/users/alice/revoke-tokens").status_code < 300
    page.click("header >> text=My jobs")
    page.wait_for_url(lambda url: url.startswith(site.provider.url))  # the login, no error
    page.click("button[value='alice']")
    page.wait_for_url(f"{site.url}/ui/")
    expect(page.locator("header .who")).to_contain_text("Alice Example")
    page.context.close()
