"""The deployment routes against a scripted Marathon and Mesos: refusals, lost answers, retries,
quotas, logs and isolation, where exact control over the upstream answers matters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.deployments_harness import CPU_BODY, Harness, configured, harness_for
from tests.support.fake_api import error_fields
from tests.support.paths import JOB_SPECS


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield from harness_for()


def test_a_retry_with_the_same_idempotency_key_returns_the_same_deployment(harness):
    first = harness.deploy(headers={"Idempotency-Key": "k-1"})
    again = harness.deploy(headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(harness.cluster.apps) == 1 and harness.cluster.posts == 1


def test_a_key_reused_for_a_different_request_is_refused(harness):
    assert harness.deploy(headers={"Idempotency-Key": "k-2"}).status_code == 202
    other = harness.deploy(body={**CPU_BODY, "description": "something else"},
                           headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 422
    assert error_fields(other) == {"Idempotency-Key"}
    assert len(harness.cluster.apps) == 1


def test_the_same_key_from_two_users_makes_two_deployments(harness):
    alices = harness.deploy("alice", headers={"Idempotency-Key": "shared"}).json()
    bobs = harness.deploy("bob", headers={"Idempotency-Key": "shared"}).json()
    assert alices["id"] != bobs["id"]
    assert bobs["owner"] != alices["owner"]


def test_when_no_answer_to_a_create_comes_back_no_app_is_left_behind(harness):
    # The first POST made the app, and the answer to the second was lost too: the gateway
    # cannot tell the user it worked, so it removes the app rather than leave it unannounced.
    harness.cluster.lost_post_answers = [httpx.ReadError("reset"), httpx.ReadError("reset")]
    response = harness.deploy()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert harness.cluster.posts == 2 and harness.cluster.apps == {}


def test_marathon_refusing_an_app_is_a_clear_problem_and_nothing_is_created(harness):
    harness.cluster.refuse_with = (422, {"message": "Object is not valid", "details": [
        {"path": "/", "errors": ["Feature gpu_resources is not enabled. Enable with "
                                 "--enable_features gpu_resources)"]}]})
    response = harness.deploy(body={"module": "image-classification-tf", "hardware": {"gpus": 1}})
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["detail"].startswith("Marathon refused app /gateway/")
    assert "gpu_resources is not enabled" in problem["errors"][0]["message"]
    assert harness.cluster.apps == {}
    assert harness.call("GET", "/v1/deployments").json()["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"module": "plants-classification", "hardware": {"gpus": 2}}, "hardware.gpus"),
    ({"module": "image-classification-tf", "hardware": {"memory": 10**6}}, "hardware.memory"),
    ({"module": "no-such-module"}, "module"),
    ({"image": "someone/cryptominer:latest"}, "image"),
    ({"image": "deephdc/x", "hardware": {"gpus": 0.5}}, "hardware.gpus"),
    ({"image": "deephdc/x", "env": {"NOT-A-NAME": "1"}}, "env"),
    ({"image": "deephdc/x", "env": {"PORT0": "80"}}, "env.PORT0"),
    ({"module": "generic-dev", "service": "jupyter", "jupyter_password": "short"},
     "jupyter_password"),
    ({"module": "generic-dev", "service": "jupyter"}, "jupyter_password"),
])
def test_bad_input_is_refused_naming_the_field_before_marathon_is_called(harness, body, field):
    response = harness.deploy(body=body)
    assert response.status_code == 422, response.text
    assert field in error_fields(response)
    assert harness.cluster.posts == 0


def test_a_password_never_appears_in_a_response(harness):
    secret_body = {"module": "generic-dev", "service": "jupyter",
                   "jupyter_password": "notebook-secret-123",
                   "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                               "rclone_user": "u", "rclone_password": "storage-secret-456"}}
    created = harness.deploy(body=secret_body)
    refused = harness.deploy(body={**secret_body, "hardware": {"gpus": 9}})
    listed = harness.call("GET", "/v1/deployments")
    for response in (created, refused, listed):
        assert "notebook-secret-123" not in response.text
        assert "storage-secret-456" not in response.text
    stored = next(iter(harness.cluster.apps.values()))
    assert "storage-secret-456" not in str(stored)


def test_every_route_hides_another_users_deployment(harness):
    deployment = harness.deploy().json()
    path = f"/v1/deployments/{deployment['id']}"
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/restart"), ("GET", "/logs")):
        response = harness.call(method, path + suffix, "bob")
        assert response.status_code == 404, (method, suffix)
        assert response.json()["detail"] == "No such deployment."
    assert harness.call("GET", "/v1/deployments", "bob").json()["items"] == []
    assert harness.call("GET", "/v1/deployments?all=true", "bob").status_code == 403
    everyone = harness.call("GET", "/v1/deployments?all=true", "admin").json()["items"]
    assert [item["id"] for item in everyone] == [deployment["id"]]
    assert len(harness.cluster.apps) == 1


def test_lists_are_paginated_with_a_cursor(harness):
    ids = sorted(harness.deploy().json()["id"] for _ in range(3))
    first = harness.call("GET", "/v1/deployments?limit=2").json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    second = harness.call("GET", f"/v1/deployments?limit=2&cursor={first['next']}").json()
    assert [item["id"] for item in second["items"]] == ids[2:]
    assert second["next"] is None


def test_paging_neither_skips_nor_repeats_apps_left_in_an_earlier_marathon_group(harness):
    # Apps made under another GATEWAY_MARATHON_GROUP are still the caller's deployments.
    low, high = sorted(harness.deploy().json()["id"] for _ in range(2))
    app = harness.cluster.apps.pop(f"/gateway/{low}")
    harness.cluster.apps[f"/zzz-earlier/{low}"] = {**app, "id": f"/zzz-earlier/{low}"}
    seen, cursor = [], ""
    for _ in range(3):
        page = harness.call("GET", f"/v1/deployments?limit=1{cursor}").json()
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        cursor = f"&cursor={page['next']}"
    assert seen == [low, high]


def test_an_app_edited_in_marathon_below_the_request_bounds_is_still_shown(harness):
    deployment = harness.deploy().json()
    harness.cluster.apps[f"/gateway/{deployment['id']}"]["mem"] = 64.0
    shown = harness.call("GET", f"/v1/deployments/{deployment['id']}")
    assert shown.status_code == 200 and shown.json()["hardware"]["memory"] == 64
    assert harness.call("GET", "/v1/deployments").status_code == 200


def test_restart_replaces_the_task_and_delete_removes_the_app(harness):
    deployment = harness.deploy().json()
    path = f"/v1/deployments/{deployment['id']}"
    before = harness.call("GET", path).json()["tasks"][0]["id"]
    restarted = harness.call("POST", f"{path}/restart")
    assert restarted.status_code == 202
    assert restarted.json()["tasks"][0]["id"] != before
    assert harness.call("DELETE", path).status_code == 204
    assert harness.call("GET", path).status_code == 404
    assert harness.cluster.apps == {}


def test_logs_give_the_last_lines_of_the_current_task(harness):
    deployment = harness.deploy().json()
    response = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs?tail=3")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    task_id = response.headers["x-task-id"]
    assert response.text == "".join(f"line {n} of {task_id}\n" for n in (198, 199, 200))
    stderr = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs?stream=stderr")
    assert stderr.text == "warning: nothing to see\n"
    everything = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs")
    assert everything.text.count("\n") == 200


def test_without_a_running_task_the_logs_are_those_of_the_last_one(harness):
    deployment = harness.deploy().json()
    task_id = harness.cluster.stop_task(f"/gateway/{deployment['id']}")
    harness.cluster.files[f"/sandbox/{task_id}/stdout"] += b"Traceback: out of memory\n"
    response = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs?tail=2")
    assert response.headers["x-task-id"] == task_id
    assert response.text == f"line 200 of {task_id}\nTraceback: out of memory\n"


def test_following_the_logs_ends_by_itself_when_the_task_has_ended(harness):
    deployment = harness.deploy().json()
    task_id = harness.cluster.stop_task(f"/gateway/{deployment['id']}")
    response = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs?tail=1&follow=true")
    assert response.status_code == 200
    assert response.text == f"line 200 of {task_id}\n"


def test_a_followed_log_whose_agent_fails_ends_saying_why(harness):
    deployment = harness.deploy().json()
    harness.cluster.reads_before_agent_fails = 2  # the file's size and its tail, then nothing
    response = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs?tail=1&follow=true")
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0].startswith("line 200 of ")
    assert lines[-1] == "[gateway] the log stream stopped: The Mesos agent failed (HTTP 500)."


def test_the_deployment_quota_refuses_the_next_one_and_says_why():
    with configured(quota_deployments=1) as harness:
        assert harness.deploy().status_code == 202
        refused = harness.deploy()
        assert refused.status_code == 403
        problem = refused.json()
        assert problem["code"] == "quota_exceeded"
        assert problem["detail"] == ("Your quota does not allow this: 1 of 1 deployments used, "
                                     "1 more asked.")
        assert problem["quota"] == {"deployments": {"used": 1, "asked": 1, "allowed": 1}}
        assert len(harness.cluster.apps) == 1
        # Another user has their own quota.
        assert harness.deploy("bob").status_code == 202


def test_the_catalog_lists_modules_with_the_hardware_users_may_ask_for(harness):
    listed = harness.call("GET", "/v1/modules")
    assert listed.status_code == 200
    names = [m["name"] for m in listed.json()["items"]]
    assert "image-classification-tf" in names and listed.json()["next"] is None
    one = harness.call("GET", "/v1/modules/speech-to-text-tf").json()
    assert one["services"] == ["deepaas"]
    assert one["hardware"]["max"]["gpus"] == 2
    assert harness.client.get("/v1/modules").status_code == 401
    missing = harness.call("GET", "/v1/modules/no-such-module")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def _specs_with_limits(tmp_path, limits: dict) -> object:
    """A copy of the job specs whose operators cap every module at ``limits``."""
    import shutil

    import yaml

    specs = tmp_path / "job_specs"
    shutil.copytree(JOB_SPECS, specs)
    services = yaml.safe_load((specs / "services.yaml").read_text())
    services["limits"] = limits
    (specs / "services.yaml").write_text(yaml.safe_dump(services))
    return specs


def test_the_catalog_shows_module_ranges_cut_to_the_operators_limits(tmp_path):
    specs = _specs_with_limits(tmp_path, {"cpus": 4, "memory": 8192, "disk": 20480, "gpus": 1})
    with configured(job_specs_dir=specs) as harness:
        module = harness.call("GET", "/v1/modules/speech-to-text-tf").json()
        assert module["hardware"]["max"] == {"cpus": 4.0, "memory": 8192, "disk": 20480,
                                             "gpus": 1}
        assert module["hardware"]["default"] == {"cpus": 2.0, "memory": 8192, "disk": 20480,
                                                 "gpus": 0}


def test_the_catalog_still_lists_a_module_whose_minimum_is_above_the_operators_limits(tmp_path):
    specs = _specs_with_limits(tmp_path, {"cpus": 4, "memory": 2048, "disk": 20480, "gpus": 1})
    with configured(job_specs_dir=specs) as harness:
        listed = harness.call("GET", "/v1/modules")
        assert listed.status_code == 200
        module = harness.call("GET", "/v1/modules/speech-to-text-tf").json()
        assert module["hardware"]["max"]["memory"] == 2048
        assert module["hardware"]["min"]["memory"] == 4096
        refused = harness.deploy(body={"module": "speech-to-text-tf"})
        assert refused.status_code == 422


def test_passwords_never_reach_the_logs(harness, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    harness.cluster.refuse_with = (422, {"message": "Object is not valid", "details": []})
    body = {"module": "generic-dev", "service": "jupyter", "jupyter_password": "log-secret-789",
            "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                        "rclone_user": "u", "rclone_password": "log-secret-012"}}
    assert harness.deploy(body=body).status_code == 422
    harness.cluster.refuse_with = None
    assert harness.deploy(body=body).status_code == 202
    assert caplog.records, "the create path logs something, so the check below is meaningful"
    assert "log-secret-789" not in caplog.text and "log-secret-012" not in caplog.text


def test_concurrent_retries_with_one_key_at_the_quota_limit_all_get_the_same_deployment():
    import concurrent.futures

    with configured(quota_deployments=1) as harness:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(
                lambda _: harness.deploy(headers={"Idempotency-Key": "at-the-limit"}), range(8)))
        assert {r.status_code for r in responses} == {202}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert len(harness.cluster.apps) == 1 and harness.cluster.posts == 1


def _change(harness: Harness, deployment_id: str, user: str, cpus: float) -> Any:
    return harness.call("PATCH", f"/v1/deployments/{deployment_id}", user,
                        json={"hardware": {"cpus": cpus}})


def test_an_administrators_change_is_held_to_the_owners_quota_not_the_administrators():
    with configured(quota_cpus=2, quota_groups={"deep/admins": {"cpus": 100}}) as harness:
        deployment_id = harness.deploy().json()["id"]  # alice's, 1 CPU
        refused = _change(harness, deployment_id, "admin", 4)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "quota_exceeded"
        assert refused.json()["detail"] == ("The owner's quota does not allow this: 0 of 2 CPUs "
                                            "used, 4 more asked.")
        assert harness.cluster.updates == 0
        # The owner's own change is checked the same way, against the same numbers.
        assert _change(harness, deployment_id, "alice", 4).json()["quota"] == \
            refused.json()["quota"]
        assert _change(harness, deployment_id, "admin", 2).status_code == 200
        assert harness.cluster.updates == 1


def test_an_administrators_change_follows_the_quota_groups_the_owner_was_in_at_creation():
    with configured(quota_cpus=2, quota_groups={"deep": {"cpus": 6}}) as harness:
        deployment_id = harness.deploy().json()["id"]
        [app] = harness.cluster.apps.values()
        assert app["labels"]["gateway.owner-quota-groups"] == '["deep"]'
        assert _change(harness, deployment_id, "admin", 6).status_code == 200
        assert _change(harness, deployment_id, "admin", 7).status_code == 403
        # An app made before the groups were recorded: the owner's limits are the defaults.
        del app["labels"]["gateway.owner-quota-groups"]
        assert _change(harness, deployment_id, "admin", 3).status_code == 403
        assert _change(harness, deployment_id, "admin", 2).status_code == 200


def test_admins_see_each_owners_name_beside_the_key_and_the_key_alone_for_older_apps(harness):
    first, second = harness.deploy().json()["id"], harness.deploy("bob").json()["id"]
    older = next(a for a in harness.cluster.apps.values() if a["id"].endswith(second))
    del older["labels"]["gateway.owner-name"]
    everyone = {d["id"]: d for d in
                harness.call("GET", "/v1/deployments?all=true", "admin").json()["items"]}
    assert everyone[first]["owner_name"] == "Alice Example"
    assert len(everyone[first]["owner"]) == 32
    assert everyone[second]["owner_name"] is None and len(everyone[second]["owner"]) == 32
