"""End to end through the HTTP API against the simulated cluster: what a scientist does with a
deployment, from deploy to delete, on CPUs and GPUs, reached through a real HAProxy."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import Stack, fast_health_checks
from tests.support.haproxy import HAProxy, marathon_lb_config
from tests.support.ports import free_port_range

pytestmark = pytest.mark.slow
GPU_MODULE = {"module": "image-classification-tf",
              "hardware": {"cpus": 1, "memory": 2048, "disk": 1024, "gpus": 1}}
CPU_MODULE = {"module": "image-classification-tf",
              "hardware": {"cpus": 1, "memory": 2048, "disk": 1024}}


def _stack(tmp: Path, sim_options: dict | None = None, **settings: object) -> Iterator[Stack]:
    # Two agents with one GPU each: the third GPU deployment has to wait.
    base = free_port_range(200)  # HAProxy binds the service ports it publishes
    sim_config = SimConfig(**{"agents": 2, "agent_cpus": 8.0, "agent_mem": 32768,
                              "agent_disk": 102400, "agent_gpus": 1,
                              "service_port_range": (base, base + 199), **(sim_options or {})})
    with running(DevStack(sim_config=sim_config, job_specs_dir=fast_health_checks(tmp),
                          settings=settings)) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=15) as gateway, \
                httpx.Client(base_url=info.marathon_url, timeout=15) as marathon:
            yield Stack(info, gateway, marathon)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _stack(tmp_path_factory.mktemp("specs"))


def _create(stack: Stack, body: dict, user: str = "alice", **headers: str) -> dict:
    response = stack.gateway.post("/v1/deployments", json=body,
                                  headers={**stack.as_user(user), **headers})
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/deployments/{response.json()['id']}"
    return dict(response.json())


def _delete_all(stack: Stack, *ids: str) -> None:
    for deployment_id in ids:
        for user in ("alice", "bob"):
            stack.delete(deployment_id, user)


@pytest.mark.parametrize(("body", "image", "gpus"), [
    (CPU_MODULE, "deephdc/deep-oc-image-classification-tf:cpu", 0),
    (GPU_MODULE, "deephdc/deep-oc-image-classification-tf:gpu", 1),
], ids=["cpu", "gpu"])
def test_a_module_lives_from_deploy_to_delete(stack, body, image, gpus):
    deployment = _create(stack, body)
    app_id = f"/gateway/{deployment['id']}"
    app = stack.marathon.get(f"/v2/apps{app_id}").json()["app"]
    assert (app["gpus"], app["container"]["docker"]["image"]) == (gpus, image)

    ready = stack.wait_for(deployment["id"], "running")
    assert ready["status"] == "running", ready
    assert set(ready["endpoints"]) == {"api", "monitor", "ide"}
    assert ready["main_endpoint"] == ready["endpoints"]["api"]
    assert ready["tasks"][0]["healthy"] is True
    first_task = ready["tasks"][0]["id"]

    logs = stack.gateway.get(f"/v1/deployments/{deployment['id']}/logs?tail=20",
                             headers=stack.as_user("alice"))
    assert logs.status_code == 200, logs.text
    assert logs.headers["x-task-id"] == first_task

    restarted = stack.gateway.post(f"/v1/deployments/{deployment['id']}/restart",
                                   headers=stack.as_user("alice"))
    assert restarted.status_code == 202, restarted.text
    again = stack.wait_until(deployment["id"], lambda d: d["status"] == "running" and any(
        t["id"] != first_task for t in d["tasks"]))
    assert again["status"] == "running" and again["tasks"][0]["id"] != first_task, (
        again["status_reason"], [(t["id"][-20:], t["state"], t.get("ports"), t.get("healthCheckResults"))
                                 for t in stack.marathon.get(f"/v2/apps{app_id}").json()["app"]["tasks"]])

    assert stack.delete(deployment["id"]).status_code == 204
    assert stack.get(deployment["id"]).status_code == 404
    assert app_id not in stack.marathon_app_ids()


def test_when_gpus_run_out_a_deployment_waits_saying_why_until_one_is_freed(stack):
    first = _create(stack, GPU_MODULE, "alice")
    second = _create(stack, GPU_MODULE, "bob")
    created = [first["id"], second["id"]]
    try:
        assert stack.wait_for(first["id"], "running")["status"] == "running"
        assert stack.wait_for(second["id"], "running", "bob")["status"] == "running"
        third = _create(stack, GPU_MODULE, "alice")
        created.append(third["id"])
        waiting = stack.wait_for(third["id"], "waiting", reason="GPU")
        assert waiting["status"] == "waiting", waiting
        assert waiting["status_reason"] == ("Waiting for resources: no agent has enough free "
                                            "GPUs.")
        assert waiting["endpoints"] == {} or waiting["tasks"] == []

        assert stack.delete(first["id"]).status_code == 204
        resolved = stack.wait_for(third["id"], "running", timeout=30)
        assert resolved["status"] == "running", resolved
    finally:
        _delete_all(stack, *created)


def test_a_published_endpoint_is_reached_through_haproxy(stack, tmp_path):
    deployment = _create(stack, CPU_MODULE)
    try:
        ready = stack.wait_for(deployment["id"], "running")
        assert ready["status"] == "running", ready
        apps = stack.marathon.get("/v2/apps", params={"embed": "apps.tasks"}).json()["apps"]
        published = marathon_lb_config(apps)
        name = f"gateway_{deployment['id']}_{ready['endpoints']['api'].rsplit(':', 1)[1]}"
        assert published.servers[name], published.text
        with HAProxy(tmp_path, published.text) as haproxy:
            haproxy.start(list(published.frontends.values()))
            answer = httpx.get(ready["endpoints"]["api"] + "/", timeout=5)
        assert answer.status_code < 500, answer.text
        logs = stack.gateway.get(f"/v1/deployments/{deployment['id']}/logs",
                                 headers=stack.as_user("alice"))
        assert "GET /" in logs.text
    finally:
        _delete_all(stack, deployment["id"])


def test_a_crashing_service_is_reported_failed_with_the_task_message(stack):
    deployment = _create(stack, {**CPU_MODULE, "env": {"SIM_FAIL": "exit:3:0.2"}})
    try:
        failed = stack.wait_for(deployment["id"], "failed", timeout=30)
        assert failed["status"] == "failed", failed
        assert "The last task failed" in failed["status_reason"]
        assert failed["endpoints"] == {}
    finally:
        _delete_all(stack, deployment["id"])


def test_a_retried_create_with_the_same_idempotency_key_makes_one_app(stack):
    before = len(stack.marathon_app_ids())
    first = _create(stack, CPU_MODULE, **{"Idempotency-Key": "e2e-retry"})
    again = _create(stack, CPU_MODULE, **{"Idempotency-Key": "e2e-retry"})
    try:
        assert again["id"] == first["id"]
        assert len(stack.marathon_app_ids()) == before + 1
    finally:
        _delete_all(stack, first["id"])


def test_every_route_hides_another_users_deployment(stack):
    deployment = _create(stack, CPU_MODULE)
    path = f"/v1/deployments/{deployment['id']}"
    try:
        for method, suffix in (("GET", ""), ("POST", "/restart"), ("GET", "/logs"),
                               ("DELETE", "")):
            response = stack.gateway.request(method, path + suffix, headers=stack.as_user("bob"))
            assert response.status_code == 404, (method, suffix, response.text)
        assert stack.get(deployment["id"]).status_code == 200
    finally:
        _delete_all(stack, deployment["id"])


@pytest.fixture(scope="module")
def quota_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _stack(tmp_path_factory.mktemp("quota-specs"), quota_deployments=3, quota_gpus=1)


def test_twenty_concurrent_requests_cannot_overshoot_the_quota(quota_stack):
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda _: quota_stack.deploy("alice"), range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [202] * 3 + [403] * 17
    refusal = next(r.json() for r in responses if r.status_code == 403)
    assert refusal["quota"]["deployments"] == {"used": 3, "asked": 1, "allowed": 3}
    listed = quota_stack.gateway.get("/v1/deployments", headers=quota_stack.as_user("alice"))
    assert len(listed.json()["items"]) == 3


def test_a_gpu_quota_counts_waiting_deployments_too(quota_stack):
    bob_gpu = quota_stack.gateway.post("/v1/deployments", json=GPU_MODULE,
                                       headers=quota_stack.as_user("bob"))
    assert bob_gpu.status_code == 202
    second = quota_stack.gateway.post("/v1/deployments", json=GPU_MODULE,
                                      headers=quota_stack.as_user("bob"))
    assert second.status_code == 403
    assert second.json()["quota"]["gpus"] == {"used": 1, "asked": 1, "allowed": 1}


@pytest.fixture(scope="module")
def marathon_without_gpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # A Marathon started without --enable_features gpu_resources refuses every GPU app.
    yield from _stack(tmp_path_factory.mktemp("no-gpu-specs"), {"marathon_features": ()})


def test_marathon_refusing_an_app_is_a_clear_problem_and_leaves_nothing(marathon_without_gpus):
    stack = marathon_without_gpus
    response = stack.gateway.post("/v1/deployments", json=GPU_MODULE,
                                  headers=stack.as_user("alice"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("Marathon refused app /gateway/")
    assert any("gpu_resources" in error["message"] for error in problem["errors"])
    assert stack.marathon_app_ids() == []
    listed = stack.gateway.get("/v1/deployments", headers=stack.as_user("alice")).json()
    assert listed["items"] == []


def test_a_notebook_with_storage_gets_its_secrets_only_in_the_forms_the_task_reads(stack):
    body = {"module": "generic-dev", "service": "jupyter",
            "hardware": {"cpus": 1, "memory": 2048, "disk": 1024},
            "jupyter_password": "notebook-password-e2e",
            "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                        "rclone_vendor": "nextcloud", "rclone_user": "DEEP-IAM-alice",
                        "rclone_password": "storage-password-e2e"}}
    deployment = _create(stack, body)
    try:
        ready = stack.wait_for(deployment["id"], "running")
        assert ready["status"] == "running", ready
        assert ready["main_endpoint"] == ready["endpoints"]["ide"]
        env = stack.marathon.get(f"/v2/apps/gateway/{deployment['id']}").json()["app"]["env"]
        assert env["jupyterPASSWORD"] == "notebook-password-e2e"
        assert env["RCLONE_CONFIG_RSHARE_PASS"] != "storage-password-e2e"
        revealed = subprocess.run(["rclone", "reveal", env["RCLONE_CONFIG_RSHARE_PASS"]],
                                  check=True, capture_output=True, text=True).stdout.strip()
        assert revealed == "storage-password-e2e"
        seen = [stack.get(deployment["id"]).text,
                stack.gateway.get("/v1/deployments", headers=stack.as_user("alice")).text,
                stack.gateway.get(f"/v1/deployments/{deployment['id']}/logs",
                                  headers=stack.as_user("alice")).text]
        for text in seen:
            assert "notebook-password-e2e" not in text and "storage-password-e2e" not in text
    finally:
        _delete_all(stack, deployment["id"])


@pytest.fixture(scope="module")
def vhost_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _stack(tmp_path_factory.mktemp("vhost-specs"), lb_domain="deep.example.org")


def test_with_a_domain_each_port_is_reached_by_its_virtual_host_through_haproxy(vhost_stack,
                                                                                tmp_path):
    stack = vhost_stack
    deployment = _create(stack, CPU_MODULE)
    try:
        ready = stack.wait_for(deployment["id"], "running")
        assert ready["status"] == "running", ready
        api_host = f"api-{deployment['id']}.deep.example.org"
        assert ready["endpoints"]["api"] == f"http://{api_host}/"
        apps = stack.marathon.get("/v2/apps", params={"embed": "apps.tasks"}).json()["apps"]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            http_port = sock.getsockname()[1]
        published = marathon_lb_config(apps, http_port=http_port)
        with HAProxy(tmp_path, published.text) as haproxy:
            haproxy.start([http_port])
            answer = httpx.get(f"http://127.0.0.1:{http_port}/", headers={"Host": api_host},
                               timeout=5)
        assert answer.status_code == 200, answer.text
        app = next(a for a in apps if a["id"] == f"/gateway/{deployment['id']}")
        assert answer.json()["app"] == app["id"]
        assert answer.json()["port"] == app["tasks"][0]["ports"][0]  # the api port, $PORT0
    finally:
        _delete_all(stack, deployment["id"])


def test_following_the_logs_streams_what_the_task_writes_until_it_exits(stack):
    deployment = _create(stack, {**CPU_MODULE, "env": {"SIM_FAIL": "exit:3:3"}})
    try:
        ready = stack.wait_for(deployment["id"], "running")
        assert ready["status"] == "running", ready
        app = stack.marathon.get(f"/v2/apps/gateway/{deployment['id']}").json()["app"]
        task_port = app["tasks"][0]["ports"][0]
        started = time.monotonic()
        chunks = []
        with stack.gateway.stream("GET", f"/v1/deployments/{deployment['id']}/logs?follow=true",
                                  headers=stack.as_user("alice"), timeout=30) as response:
            assert response.status_code == 200
            task_id = response.headers["x-task-id"]
            # While the stream is open the task keeps answering (and logging) requests.
            httpx.get(f"http://127.0.0.1:{task_port}/while-followed", timeout=5)
            for chunk in response.iter_text():
                chunks.append(chunk)
        assert time.monotonic() - started < 25  # it ended by itself, with the task
        assert task_id == ready["tasks"][0]["id"]
        assert "/while-followed" in "".join(chunks)
    finally:
        _delete_all(stack, deployment["id"])


def test_a_gpu_deployment_restarts_on_its_own_gpu_when_no_other_is_free(stack):
    first = _create(stack, GPU_MODULE, "alice")
    second = _create(stack, GPU_MODULE, "bob")
    try:
        assert stack.wait_for(second["id"], "running", "bob")["status"] == "running"
        before = stack.wait_for(first["id"], "running")
        assert before["status"] == "running", before
        old_task = before["tasks"][0]["id"]
        restarted = stack.gateway.post(f"/v1/deployments/{first['id']}/restart",
                                       headers=stack.as_user("alice"))
        assert restarted.status_code == 202
        after = stack.wait_until(first["id"], lambda d: d["status"] == "running" and any(
            t["id"] != old_task for t in d["tasks"]), timeout=30)
        assert after["status"] == "running" and after["tasks"][0]["id"] != old_task, after
    finally:
        _delete_all(stack, first["id"], second["id"])
