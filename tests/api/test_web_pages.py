"""The web UI's pages over the services: what a signed-in scientist sees and can do, errors as
sentences beside their fields, admins' views, links under a proxy's path prefix."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.api.web_client import WebClient, web_client

DEPLOY = "/ui/modules/image-classification-tf/deploy"


@pytest.fixture
def web() -> Iterator[WebClient]:
    yield from web_client()


def _deploy(web: WebClient, user: str = "alice", **fields: str) -> str:
    data = {"service": "deepaas", "hardware.cpus": "1", "hardware.memory": "2048",
            "hardware.disk": "1024", "hardware.gpus": "0", **fields}
    answer = web.send_form(DEPLOY, DEPLOY, data, user)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[-1]


def test_the_catalog_is_searched_and_filtered_by_gpu_and_service(web: WebClient):
    everything = web.page("/ui/")
    assert everything.status_code == 200
    assert everything.headers["content-type"].startswith("text/html")
    assert "image-classification-tf" in everything.text and "generic-dev" in everything.text
    speech = web.page("/ui/", params={"q": "speech"}).text
    assert "speech-to-text-tf" in speech and "generic-dev" not in speech
    jupyter = web.page("/ui/", params={"service": "jupyter"}).text
    assert "generic-dev" in jupyter and "speech-to-text-tf" not in jupyter


def test_a_module_page_shows_its_image_and_default_and_maximum_hardware(web: WebClient):
    page = web.page("/ui/modules/image-classification-tf").text
    assert "deephdc/deep-oc-image-classification-tf:" in page
    assert "1 CPU · 4096 MiB · 0 GPU" in page and "8 CPU · 32768 MiB · 2 GPU" in page
    missing = web.page("/ui/modules/no-such-module")
    assert missing.status_code == 404 and "no-such-module" in missing.text
    assert missing.headers["content-type"].startswith("text/html")


def test_the_deploy_form_offers_only_the_allowed_range_and_shows_the_quota_left():
    for web in web_client(quota_gpus=1, quota_deployments=3):
        form = web.page(DEPLOY).text
        gpu_options = re.search(r'<select name="hardware.gpus">(.*?)</select>', form, re.S)
        assert gpu_options is not None
        assert re.findall(r'<option value="(\d+)"', gpu_options.group(1)) == ["0", "1"]
        assert 'max="8"' in form  # CPUs: the module's maximum (no CPU quota)
        assert "Your quota" in form and "deployments" in form


def test_a_deployment_is_made_listed_shown_and_deleted_after_confirmation(web: WebClient):
    deployment_id = _deploy(web, description="plant classifier")
    listing = web.page("/ui/deployments").text
    assert deployment_id in listing and "plant classifier" in listing
    page = web.page(f"/ui/deployments/{deployment_id}").text
    assert "Tasks" in page and "stdout" in page and "http://lb.test:" in page
    confirm = web.page(f"/ui/deployments/{deployment_id}/delete")
    assert "Delete this deployment?" in confirm.text
    deleted = web.send_form(f"/ui/deployments/{deployment_id}/delete",
                            f"/ui/deployments/{deployment_id}/delete", {})
    assert deleted.status_code == 303
    assert not web.cluster.apps


def test_field_errors_are_sentences_beside_their_fields_and_secrets_are_never_echoed(
        web: WebClient):
    answer = web.send_form(DEPLOY, DEPLOY, {
        "service": "jupyter", "hardware.cpus": "many", "hardware.memory": "2048",
        "jupyter_password": "short-pw", "storage.rclone_url": "http://insecure.example/",
        "storage.rclone_user": "me", "storage.rclone_password": "rclone-secret-value",
        "env": "EPOCHS=10"})
    assert answer.status_code == 422
    page = answer.text
    assert '<p class="field-error" id="error-hardware.cpus">Enter a number.</p>' in page
    assert 'id="error-storage.rclone_url">Must be an https:// URL without spaces.' in page
    assert 'id="error-jupyter_password">Must be at least 9 characters long.' in page
    assert "short-pw" not in page and "rclone-secret-value" not in page
    assert "EPOCHS=10" in page and "http://insecure.example/" in page  # the rest is kept
    assert "{" not in re.sub(r"<style.*?</style>", "", page)  # no JSON anywhere
    assert not web.cluster.apps


def test_the_services_refusals_land_on_the_field_they_concern(web: WebClient):
    answer = web.send_form(DEPLOY, DEPLOY, {"service": "deepaas", "hardware.gpus": "2",
                                            "hardware.cpus": "99"})
    assert answer.status_code == 422
    assert 'id="error-hardware.cpus">At most 8.' in answer.text


def test_a_refused_field_does_not_hide_the_services_range_checks_of_the_others(web: WebClient):
    answer = web.send_form(DEPLOY, DEPLOY, {
        "service": "jupyter", "jupyter_password": "pw-7x2q", "hardware.cpus": "99",
        "hardware.memory": "2048", "hardware.gpus": "3", "storage.rclone_url": "http://x.example/",
        "storage.rclone_user": "me", "storage.rclone_password": "rclone-secret-value"})
    assert answer.status_code == 422
    page = answer.text
    assert 'id="error-jupyter_password">Must be at least 9 characters long.' in page
    assert 'id="error-storage.rclone_url">Must be an https:// URL without spaces.' in page
    assert 'id="error-hardware.cpus">At most 8.' in page
    assert 'id="error-hardware.gpus">At most 2.' in page
    assert page.count('id="error-jupyter_password"') == 1
    assert "pw-7x2q" not in page and "rclone-secret-value" not in page
    assert not web.cluster.apps


def test_a_job_form_shows_the_services_range_checks_beside_the_fields_it_refused(web: WebClient):
    answer = web.send_form("/ui/jobs/new", "/ui/jobs/new", {
        "name": "nightly", "image": "deephdc/deep-oc-generic-dev:cpu", "command": "true",
        "when": "now", "env": "1BAD=x", "hardware.cpus": "99", "hardware.memory": "2048"})
    assert answer.status_code == 422
    assert 'id="error-env">' in answer.text
    assert 'id="error-hardware.cpus">At most' in answer.text
    assert not web.chronos.posted


def test_another_user_never_sees_a_deployment_that_is_not_theirs(web: WebClient):
    deployment_id = _deploy(web)
    assert deployment_id not in web.page("/ui/deployments", "bob").text
    other = web.page(f"/ui/deployments/{deployment_id}", "bob")
    assert other.status_code == 404 and "No such deployment." in other.text


def test_admins_see_everyones_deployments_with_their_owners(web: WebClient):
    deployment_id = _deploy(web)
    alice_owner = next(iter(web.cluster.apps.values()))["labels"]["gateway.owner"]
    everyone = web.page("/ui/deployments", "admin", params={"all": "1"}).text
    assert deployment_id in everyone and alice_owner in everyone and "<th>Owner</th>" in everyone
    assert "Alice Example" in everyone
    assert "Alice Example" in web.page(f"/ui/deployments/{deployment_id}", "admin").text
    refused = web.page("/ui/deployments", "alice", params={"all": "1"})
    assert refused.status_code == 403 and "Only administrators" in refused.text


def test_links_follow_the_proxys_path_prefix_or_the_configured_root_path():
    for web in web_client():
        page = web.page("/ui/", headers={"X-Forwarded-Prefix": "/gateway"}).text
        assert 'href="/gateway/ui/modules/image-classification-tf"' in page
        assert 'href="/gateway/ui/static/gateway.css"' in page
        odd = web.page("/ui/", headers={"X-Forwarded-Prefix": "//evil.example/x"}).text
        assert "evil.example" not in odd and 'href="/ui/deployments"' in odd
    for web in web_client(root_path="/science/gw"):
        page = web.page("/ui/", headers={"X-Forwarded-Prefix": "/other"}).text
        assert 'action="/science/gw/ui/"' in page and "/other/ui" not in page


def test_the_api_documentation_reads_its_document_under_the_proxys_path_prefix():
    for web in web_client():
        for page in ("/docs", "/redoc"):
            prefixed = web.page(page, headers={"X-Forwarded-Prefix": "/gateway"}).text
            assert "'/gateway/openapi.json'" in prefixed or '"/gateway/openapi.json"' in prefixed
            plain = web.page(page).text
            assert "/openapi.json" in plain and "/gateway/openapi.json" not in plain


def test_a_job_is_submitted_with_a_schedule_and_shown_in_the_users_time_zone(web: WebClient):
    bad = web.send_form("/ui/jobs/new", "/ui/jobs/new", {
        "name": "nightly", "image": "deephdc/deep-oc-generic-dev:cpu", "command": "python t.py",
        "when": "schedule", "schedule": "every night", "timezone": "Europe/Madrid"})
    assert bad.status_code == 422
    assert re.search(r'id="error-schedule">[^<]*ISO 8601', bad.text)
    made = web.send_form("/ui/jobs/new", "/ui/jobs/new", {
        "name": "nightly", "image": "deephdc/deep-oc-generic-dev:cpu", "command": "python t.py",
        "when": "schedule", "schedule": "R/2030-01-15T02:00:00/P1D", "timezone": "Europe/Madrid"})
    assert made.status_code == 303, made.text
    zone = web.send_form("/ui/jobs", "/ui/jobs/timezone", {"zone": "Asia/Tokyo"})
    assert "SameSite=strict" in zone.headers["set-cookie"]
    web.client.cookies.set("gateway_tz", "Asia/Tokyo")
    listing = web.page("/ui/jobs").text
    # 02:00 in Madrid (CET, UTC+1) is 10:00 in Tokyo (UTC+9).
    assert "every day from 2030-01-15 10:00:00 JST (in Europe/Madrid)" in listing
    assert "nightly" in listing


def test_a_dependent_job_is_shown_as_such_on_its_parents_page(web: WebClient):
    for name, extra in (("prepare", {"when": "now"}),
                        ("train", {"when": "after", "parents": "prepare"})):
        made = web.send_form("/ui/jobs/new", "/ui/jobs/new", {
            "name": name, "image": "deephdc/deep-oc-generic-dev:cpu", "command": "true", **extra})
        assert made.status_code == 303, made.text
    parent = web.page(made.headers["location"].replace("train", "prepare")).text
    assert "Runs after it" in parent and ">train</a>" in parent
    refused = web.send_form(made.headers["location"].replace("train", "prepare") + "/delete",
                            made.headers["location"].replace("train", "prepare") + "/delete", {})
    assert refused.status_code == 409 and "delete them first" in refused.text


def test_killing_a_job_with_nothing_running_says_so_on_its_page(web: WebClient):
    made = web.send_form("/ui/jobs/new", "/ui/jobs/new", {
        "name": "idle", "image": "deephdc/deep-oc-generic-dev:cpu", "command": "true",
        "when": "schedule", "schedule": "R/2030-01-15T02:00:00Z/P1D"})
    assert made.status_code == 303, made.text
    page = made.headers["location"]
    refused = web.send_form(page, page + "/kill", {})
    assert refused.status_code == 409 and "Nothing to kill" in refused.text


def test_an_owners_name_is_shown_to_admins_as_text_and_older_apps_show_the_key(web: WebClient):
    first, second = _deploy(web), _deploy(web)
    apps = {app["labels"]["gateway.deployment"]: app for app in web.cluster.apps.values()}
    apps[first]["labels"]["gateway.owner-name"] = "<script>alert(1)</script>"
    del apps[second]["labels"]["gateway.owner-name"]  # made before names were recorded
    everyone = web.page("/ui/deployments", "admin", params={"all": "1"}).text
    assert "<script>alert(1)" not in everyone and "&lt;script&gt;alert(1)" in everyone
    owner_cells = re.findall(r'<td class="owner">(.*?)</td>', everyone, re.S)
    key = apps[second]["labels"]["gateway.owner"]
    assert f'<span class="mono">{key}</span>' in owner_cells
