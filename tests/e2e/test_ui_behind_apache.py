"""The web UI as users meet it: behind Apache with mod_auth_openidc, logging in at a real OpenID
provider, in a real (headless) Chromium. Screenshots of the main pages are saved in
test-artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import ssl

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.ui_browser import reload_until, shot, signed_in
from tests.e2e.ui_stack import CLIENT_ID, USERS, UiStack

pytestmark = pytest.mark.slow


def _task_address(stack: UiStack, deployment_page: str) -> str:
    deployment_id = deployment_page.rstrip("/").rsplit("/", 1)[-1]
    app = httpx.get(f"{stack.info.marathon_url}/v2/apps/gateway/{deployment_id}",
                    timeout=10).json()["app"]
    task = app["tasks"][0]
    return f"http://{task['host']}:{task['ports'][0]}"


def test_a_scientist_deploys_a_module_sees_it_running_reads_its_log_and_deletes_it(
        stack: UiStack, browser: Browser):
    page = signed_in(browser, stack, "alice")
    expect(page.locator("h1")).to_have_text("Module catalog")
    shot(page, "catalog")
    page.locator("article", has_text="image-classification-tf").get_by_text("Deploy").click()
    expect(page.locator("h1")).to_contain_text("Deploy Image classification")
    page.fill("input[name='hardware.cpus']", "1")
    page.fill("input[name='hardware.memory']", "2048")
    page.fill("input[name='hardware.disk']", "1024")
    page.fill("input[name='description']", "plant classifier retraining")
    shot(page, "deploy-form")
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator("h1")).to_contain_text("image-classification-tf")
    reload_until(page, "h1 .status", "running")
    endpoint = page.locator("a", has_text="api: http://").first.get_attribute("href")
    assert endpoint is not None and endpoint.startswith("http://127.0.0.1:")  # the balancer's
    expect(page.locator("#log-stdout")).to_contain_text("Starting task")
    page.get_by_role("button", name="Follow live").first.click()
    expect(page.get_by_role("button", name="Stop following").first).to_be_visible()
    # No marathon-lb here: a request straight to the task's port writes a line to its stdout.
    httpx.get(f"{_task_address(stack, page.url)}/?from-the-follow-test", timeout=10)
    expect(page.locator("#log-stdout")).to_contain_text("from-the-follow-test", timeout=20_000)
    shot(page, "deployment")
    page.get_by_role("button", name="Stop following").first.click()
    page.click("header >> text=My deployments")
    expect(page.locator("table.list")).to_contain_text("plant classifier retraining")
    shot(page, "deployments")
    page.get_by_text("Delete…").first.click()
    expect(page.locator("h1")).to_have_text("Delete this deployment?")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("h1")).to_have_text("My deployments")
    expect(page.locator("main")).not_to_contain_text("plant classifier retraining")
    page.context.close()


def test_a_scientist_submits_a_job_runs_it_again_and_reads_its_history(stack: UiStack,
                                                                       browser: Browser):
    page = signed_in(browser, stack, "alice")
    page.click("header >> text=My jobs")
    page.select_option("select[name='zone']", "Europe/Madrid")
    page.get_by_role("button", name="Set").click()
    page.get_by_text("Submit a job").click()
    page.fill("input[name='name']", "prepare-data")
    page.fill("input[name='image']", "deephdc/deep-oc-generic-dev:cpu")
    page.fill("input[name='command']", "python prepare.py")
    page.fill("input[name='hardware.cpus']", "1")
    page.fill("input[name='hardware.memory']", "1024")
    page.check("input[name='when'][value='schedule']")
    page.fill("input[name='schedule']", "R/2031-01-01T02:00:00/P1D")
    page.fill("input[name='timezone']", "Europe/Madrid")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("h1")).to_contain_text("prepare-data")
    expect(page.locator("table.facts")).to_contain_text("2031-01-01 02:00:00 CET")
    page.get_by_role("button", name="Run now").click()
    reload_until(page, "table.facts", "(1 in all)")
    expect(page.locator("table.runs tr")).to_have_count(2)  # the header and the run
    expect(page.locator("table.runs")).to_contain_text("succeeded")
    expect(page.locator("table.runs")).to_contain_text("CET")  # in the zone chosen above
    shot(page, "job")
    page.locator("table.runs a", has_text="stdout").first.click()
    expect(page.locator("main")).to_contain_text("sh -c")
    page.click("header >> text=My jobs")
    expect(page.locator("table.list")).to_contain_text("prepare-data")
    shot(page, "jobs")
    page.context.close()


def test_a_second_user_sees_none_of_the_first_ones_deployments_or_jobs(stack: UiStack,
                                                                       browser: Browser):
    alice = signed_in(browser, stack, "alice")
    alice.goto(f"{stack.apache.url}/ui/modules/plants-classification/deploy")
    alice.fill("input[name='description']", "alices private work")
    alice.get_by_role("button", name="Deploy").click()
    expect(alice.locator("h1")).to_contain_text("plants-classification")
    own_page = alice.url
    alice.context.close()
    bob = signed_in(browser, stack, "bob")
    bob.goto(f"{stack.apache.url}/ui/deployments")
    expect(bob.locator("main")).not_to_contain_text("alices private work")
    bob.goto(f"{stack.apache.url}/ui/jobs")
    expect(bob.locator("main")).not_to_contain_text("prepare-data")
    bob.goto(own_page)
    expect(bob.locator("h1")).to_have_text("Not found")
    bob.context.close()
    admin = signed_in(browser, stack, "admin")
    admin.goto(f"{stack.apache.url}/ui/deployments?all=1")
    expect(admin.locator("table.list")).to_contain_text("alices private work")
    shot(admin, "admin-deployments")
    admin.context.close()


def _through_apache(stack: UiStack) -> httpx.Client:
    return httpx.Client(base_url=stack.apache.url,
                        verify=ssl.create_default_context(cafile=stack.tls.ca_file))


def _provider_token(stack: UiStack, user: str) -> str:
    return stack.provider.id_token(user, USERS[user], CLIENT_ID)["id_token"]


def test_bearer_calls_through_apache_reach_the_api(stack: UiStack):
    token = _provider_token(stack, "bob")
    with _through_apache(stack) as http:
        me = http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["subject"] == "bob"
        assert me.headers["strict-transport-security"].startswith("max-age=")
        assert http.get("/v1/me").status_code == 401


def test_forged_identity_headers_through_apache_are_ignored(stack: UiStack):
    forged = {"X-Forwarded-User": "admin", "OIDC_CLAIM_sub": "admin", "REMOTE_USER": "admin",
              "OIDC-CLAIM-groups": "deep/admins", "X-Remote-User": "admin"}
    with _through_apache(stack) as http:
        assert http.get("/v1/deployments", headers=forged).status_code == 401
        token = _provider_token(stack, "bob")
        me = http.get("/v1/me", headers={**forged, "Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["subject"] == "bob"
        assert me.json()["admin"] is False
        everyone = http.get("/v1/deployments", params={"all": "true"},
                            headers={**forged, "Authorization": f"Bearer {token}"})
        assert everyone.status_code == 403


def test_only_admins_reach_the_schedulers_own_ui(stack: UiStack, browser: Browser):
    alice = signed_in(browser, stack, "alice")
    refused = alice.goto(f"{stack.apache.url}/marathon-web/v2/info")
    assert refused is not None and refused.status == 403
    alice.context.close()
    admin = signed_in(browser, stack, "admin")
    allowed = admin.goto(f"{stack.apache.url}/marathon-web/v2/info")
    assert allowed is not None and allowed.status == 200, allowed.text()
    admin.context.close()


def test_a_form_posted_from_another_site_is_refused(stack: UiStack, browser: Browser):
    page = signed_in(browser, stack, "alice")
    page.goto(f"{stack.apache.url}/ui/modules/generic-dev/deploy")
    page.fill("input[name='jupyter_password']", "short")
    page.fill("input[name='hardware.cpus']", "99")
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator("#error-jupyter_password")).to_be_visible()
    expect(page.locator("input[name='hardware.cpus']")).to_have_value("99")  # kept
    expect(page.locator("input[name='jupyter_password']")).to_have_value("")
    shot(page, "deploy-form-errors")
    page.fill("input[name='hardware.cpus']", "1")
    page.fill("input[name='jupyter_password']", "a-long-notebook-password")
    page.fill("input[name='description']", "target of the forgery")
    page.get_by_role("button", name="Deploy").click()
    expect(page.locator("h1")).to_contain_text("generic-dev")
    target = page.url
    token = page.locator("input[name='csrf']").first.get_attribute("value")
    forgery = f"""<form method="post" action="{target}/delete">
        <input name="csrf" value="{token}"><button>win a prize</button></form>"""
    # A page of another site: the browser leaves the SameSite session cookie out, so
    # mod_auth_openidc sends the request to the login instead of on to the gateway.
    page.goto("about:blank")
    page.set_content(forgery)
    with page.expect_navigation():
        page.click("text=win a prize")
    assert page.url.startswith(stack.provider.url), page.url
    # Another origin of the same site (another port of the host): the cookie goes along and
    # Apache forwards alice's bearer token; the gateway sees where the form came from.
    page.route("https://127.0.0.1:9/**", lambda route: route.fulfill(
        body=forgery, content_type="text/html"))
    page.goto("https://127.0.0.1:9/prize")
    with page.expect_navigation():
        page.click("text=win a prize")
    expect(page.locator("h1")).to_have_text("Form refused")
    expect(page.locator("main")).to_contain_text("same-site page")
    page.goto(f"{stack.apache.url}/ui/deployments")
    expect(page.locator("table.list")).to_contain_text("target of the forgery")
    page.context.close()


def test_signing_out_ends_the_session_and_the_next_user_logs_in_anew(stack: UiStack,
                                                                     browser: Browser):
    """The same address the UI sends a user to when the gateway no longer accepts the token."""
    page = signed_in(browser, stack, "alice")
    assert page.locator("header a", has_text="Sign out").get_attribute("href") == stack.signin_url
    page.click("header >> text=Sign out")
    # mod_auth_openidc ends its session and the provider's (which asks), then back to /ui:
    # no session any more, so to the provider's login.
    assert page.url.startswith(f"{stack.provider.url}/oauth2/end_session"), page.url
    page.get_by_role("button", name="End session").click()
    page.click("button[value='bob']")
    page.wait_for_url(f"{stack.url}/ui/")
    expect(page.locator("header .who")).to_contain_text("Bob Example")
    page.context.close()
