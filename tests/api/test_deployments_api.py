"""The thin path: a bearer token from the dev issuer, the HTTP API, a Marathon app in the sim."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import Stack, fast_health_checks


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    sim_config = SimConfig(agents=2, agent_cpus=8.0, agent_mem=32768, agent_disk=102400,
                           agent_gpus=1)
    job_specs = fast_health_checks(tmp_path_factory.mktemp("specs"))
    with running(DevStack(sim_config=sim_config, job_specs_dir=job_specs)) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=10) as gateway, \
                httpx.Client(base_url=info.marathon_url, timeout=10) as marathon:
            yield Stack(info, gateway, marathon)


def _deploy(stack: Stack, user: str = "alice", **body: object) -> httpx.Response:
    return stack.deploy(user, **body)


def test_a_deployment_becomes_a_marathon_app_and_is_listed_with_its_endpoints(stack):
    created = _deploy(stack, description="plant classifier")
    assert created.status_code == 202, created.text
    deployment = created.json()
    assert created.headers["location"] == f"/v1/deployments/{deployment['id']}"
    app_id = f"/gateway/{deployment['id']}"
    assert app_id in stack.marathon_app_ids()

    app = stack.marathon.get(f"/v2/apps{app_id}").json()["app"]
    assert app["container"]["type"] == "MESOS"
    assert app["labels"]["HAPROXY_GROUP"] == "external"

    running_deployment = stack.wait_for(deployment["id"], "running")
    assert running_deployment["status"] == "running", running_deployment
    service_ports = [p["port"] for p in app["portDefinitions"]]
    names = ["api", "monitor", "ide"]
    assert running_deployment["endpoints"] == {
        name: f"http://127.0.0.1:{port}" for name, port in zip(names, service_ports, strict=True)}
    assert running_deployment["tasks"][0]["state"] == "TASK_RUNNING"

    listed = stack.gateway.get("/v1/deployments", headers=stack.as_user("alice")).json()
    assert deployment["id"] in [item["id"] for item in listed["items"]]
    assert listed["next"] is None

    deleted = stack.gateway.delete(f"/v1/deployments/{deployment['id']}",
                                   headers=stack.as_user("alice"))
    assert deleted.status_code == 204
    assert app_id not in stack.marathon_app_ids()
    gone = stack.gateway.get(f"/v1/deployments/{deployment['id']}", headers=stack.as_user("alice"))
    assert gone.status_code == 404


def test_another_user_neither_sees_nor_touches_a_deployment(stack):
    deployment = _deploy(stack).json()
    path = f"/v1/deployments/{deployment['id']}"
    assert stack.gateway.get(path, headers=stack.as_user("bob")).status_code == 404
    assert stack.gateway.delete(path, headers=stack.as_user("bob")).status_code == 404
    assert stack.gateway.post(f"{path}/restart", headers=stack.as_user("bob")).status_code == 404
    bobs = stack.gateway.get("/v1/deployments", headers=stack.as_user("bob")).json()["items"]
    assert deployment["id"] not in [item["id"] for item in bobs]
    assert f"/gateway/{deployment['id']}" in stack.marathon_app_ids()

    everyone = stack.gateway.get("/v1/deployments?all=true", headers=stack.as_user("admin")).json()
    assert deployment["id"] in [item["id"] for item in everyone["items"]]
    assert stack.gateway.delete(path, headers=stack.as_user("alice")).status_code == 204


def test_a_request_without_a_token_is_refused_with_a_bearer_challenge(stack):
    before = stack.marathon_app_ids()
    response = stack.gateway.post("/v1/deployments", json={"image": "deephdc/x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="gateway"')
    assert response.headers["content-type"] == "application/problem+json"
    assert stack.marathon_app_ids() == before


def test_a_malformed_body_is_refused_naming_the_field_and_nothing_is_created(stack):
    before = stack.marathon_app_ids()
    response = _deploy(stack, hardware={"cpus": 1, "gpus": 0.5},
                       storage={"rclone_url": "https://nc.example.org/", "rclone_user": "u",
                                "rclone_password": "very-secret-password"}, extra="x")
    assert response.status_code == 422
    problem = response.json()
    fields = {error["field"] for error in problem["errors"]}
    assert {"hardware.gpus", "extra"} <= fields
    assert "very-secret-password" not in response.text
    assert stack.marathon_app_ids() == before


def test_an_unknown_deployment_is_not_found(stack):
    for deployment_id in ("0123456789abcdef01234567", "not-an-id", "..%2F..%2Fv2%2Fapps"):
        response = stack.gateway.get(f"/v1/deployments/{deployment_id}",
                                     headers=stack.as_user("alice"))
        assert response.status_code == 404, deployment_id
        assert response.json()["code"] == "not_found"


def test_a_module_from_the_catalog_is_deployed_with_its_gpu_image(stack):
    response = stack.gateway.post(
        "/v1/deployments", headers=stack.as_user("alice"),
        json={"module": "image-classification-tf", "hardware": {"gpus": 1}})
    assert response.status_code == 202, response.text
    deployment = response.json()
    app = stack.marathon.get(f"/v2/apps/gateway/{deployment['id']}").json()["app"]
    assert app["gpus"] == 1
    assert app["container"]["docker"]["image"] == "deephdc/deep-oc-image-classification-tf:gpu"
    assert stack.gateway.delete(f"/v1/deployments/{deployment['id']}",
                                headers=stack.as_user("alice")).status_code == 204


def test_liveness_and_readiness_answer_without_a_token(stack):
    assert stack.gateway.get("/healthz").json() == {"status": "ok"}
    ready = stack.gateway.get("/readyz")
    assert ready.status_code == 200, ready.text


def test_me_shows_the_callers_quota_use(stack):
    deployment = _deploy(stack, user="bob", hardware={"cpus": 2, "memory": 2048, "disk": 1024,
                                                      "gpus": 0}).json()
    try:
        me = stack.gateway.get("/v1/me", headers=stack.as_user("bob")).json()
        assert me["groups"] == ["deep"] and me["admin"] is False
        assert me["quota"]["used"]["deployments"] == 1
        assert me["quota"]["used"]["cpus"] == 2
        assert me["quota"]["limits"]["gpus"] is None   # the dev stack sets no limits
    finally:
        stack.gateway.delete(f"/v1/deployments/{deployment['id']}", headers=stack.as_user("bob"))
