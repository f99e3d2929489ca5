"""What a scientist is told about a service that crashes, and about requests the cluster could
never hold, through the HTTP API and the CLI against the simulated cluster."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from gateway.cli import main
from gateway.cli.errors import Exit
from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import Stack, fast_health_checks

pytestmark = pytest.mark.slow
CPU_MODULE = {"module": "image-classification-tf",
              "hardware": {"cpus": 1, "memory": 2048, "disk": 1024}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Two agents with one GPU each, and a Chronos that takes GPU jobs.
    sim_config = SimConfig(agents=2, agent_cpus=8.0, agent_mem=32768, agent_disk=102400,
                           agent_gpus=1)
    with running(DevStack(sim_config=sim_config,
                          job_specs_dir=fast_health_checks(tmp_path_factory.mktemp("specs")),
                          settings={"chronos_gpus": True, "quota_memory": 40000})) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=15) as gateway, \
                httpx.Client(base_url=info.marathon_url, timeout=15) as marathon:
            yield Stack(info, gateway, marathon)


def _statuses_until_failed(stack: Stack, deployment_id: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def record(body: dict[str, Any]) -> bool:
        if not seen or (seen[-1]["status"], seen[-1]["status_reason"]) != \
                (body["status"], body["status_reason"]):
            seen.append(body)
        return body["status"] == "failed"

    stack.wait_until(deployment_id, record, timeout=40)
    return seen


def test_a_crash_is_restarting_with_its_message_and_failed_only_when_it_keeps_crashing(stack):
    # Each task serves for five simulated seconds, then exits with status 3.
    created = stack.deploy(image=None, **CPU_MODULE, env={"SIM_FAIL": "exit:3:5"})
    assert created.status_code == 202, created.text
    deployment_id = created.json()["id"]
    try:
        seen = _statuses_until_failed(stack, deployment_id)
        statuses = [body["status"] for body in seen]
        assert "restarting" in statuses and statuses[-1] == "failed", statuses
        assert statuses.index("restarting") < statuses.index("failed")
        restarting = next(body for body in seen if body["status"] == "restarting")
        assert "status 3" in restarting["status_reason"], restarting
        assert seen[-1]["status_reason"].startswith("It keeps crashing (3 times in a row).")
    finally:
        stack.delete(deployment_id)


def test_the_cli_waits_through_a_restart_and_stops_when_the_service_keeps_crashing(
        stack, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_URL", stack.info.gateway_url)
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", stack.info.tokens["alice"])
    request = tmp_path / "crashing.yaml"
    request.write_text(yaml.safe_dump({**CPU_MODULE, "env": {"SIM_FAIL": "launch"}}))
    assert main(["deploy", str(request), "--wait", "--interval", "0.1",
                 "--timeout", "60"]) == Exit.RUN_FAILED
    captured = capsys.readouterr()
    assert ": restarting: The last task failed" in captured.err, captured.err
    assert "failed: It keeps crashing" in captured.err
    stack.delete(captured.out.split()[1].rstrip(":"))


@pytest.mark.parametrize("path", ["/v1/deployments", "/v1/jobs"])
def test_a_request_no_agent_could_hold_is_refused_naming_the_largest_agent(stack, path):
    before = stack.marathon_app_ids()
    body: dict[str, Any] = {"module": "image-classification-tf",
                            "hardware": {"cpus": 1, "memory": 2048, "gpus": 2}}
    if path == "/v1/jobs":
        body.update(name="too-big", command="python train.py")
    response = stack.gateway.post(path, json=body, headers=stack.as_user("alice"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "hardware.gpus",
                                          "message": "the largest agent has 1 GPU"}]
    assert stack.marathon_app_ids() == before
    jobs = stack.gateway.get("/v1/jobs", headers=stack.as_user("alice")).json()["items"]
    assert "too-big" not in [job["name"] for job in jobs]


def test_capacity_shows_totals_free_amounts_agent_sizes_and_what_waits(stack):
    headers = stack.as_user("alice")
    assert stack.gateway.get("/v1/capacity").status_code == 401
    idle = stack.gateway.get("/v1/capacity", headers=headers).json()
    assert idle["gpus"] == {"total": 2, "free": 2} and idle["cpus"]["total"] == 16
    [group] = idle["agents"]
    assert (group["gpus"], group["cpus"], group["memory"], group["count"]) == (1, 8, 32768, 2)
    gpu = {"module": "image-classification-tf",
           "hardware": {"cpus": 1, "memory": 2048, "disk": 1024, "gpus": 1}}
    ids = [stack.deploy(image=None, **gpu).json()["id"] for _ in range(3)]
    try:
        def settled(body: dict[str, Any]) -> bool:
            return body["gpus"]["free"] == 0 and body["waiting"]["deployments"] == 1

        body = idle
        for _ in range(100):
            body = stack.gateway.get("/v1/capacity", headers=headers).json()
            if settled(body):
                break
            time.sleep(0.2)
        assert settled(body), body
        assert body["agents"][0]["free"]["gpus"] == [{"amount": 0, "agents": 2}]
    finally:
        for deployment_id in ids:
            stack.delete(deployment_id)



def test_a_deployment_gets_a_gpu_new_env_and_description_in_one_safe_marathon_update(stack):
    created = stack.deploy(image=None, **CPU_MODULE, env={"OLD": "1"})
    deployment_id = created.json()["id"]
    try:
        assert stack.wait_for(deployment_id, "running")["status"] == "running"
        app_path = f"/v2/apps/gateway/{deployment_id}"
        versions = stack.marathon.get(f"{app_path}/versions").json()["versions"]
        changed = stack.gateway.patch(
            f"/v1/deployments/{deployment_id}", headers=stack.as_user("alice"),
            json={"hardware": {"gpus": 1}, "env": {"EPOCHS": "20"}, "description": "on a GPU"})
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert body["hardware"] == {"cpus": 1, "memory": 2048, "disk": 1024, "gpus": 1}
        assert body["image"].endswith(":gpu") and body["description"] == "on a GPU"
        app = stack.marathon.get(app_path).json()["app"]
        assert app["env"] == {"EPOCHS": "20"} and app["gpus"] == 1
        assert app["upgradeStrategy"] == {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}
        assert len(stack.marathon.get(f"{app_path}/versions").json()["versions"]) == \
            len(versions) + 1
        running = stack.wait_for(deployment_id, "running")
        assert running["tasks"] and running["hardware"]["gpus"] == 1
    finally:
        stack.delete(deployment_id)


def test_a_deployment_change_beyond_the_bounds_or_the_quota_is_refused_and_nothing_changes(stack):
    deployment_id = stack.deploy(image=None, **CPU_MODULE).json()["id"]
    other = stack.deploy(image=None, module="image-classification-tf",
                         hardware={"cpus": 1, "memory": 16384, "disk": 1024}).json()["id"]
    try:
        app_path = f"/v2/apps/gateway/{deployment_id}"
        before = stack.marathon.get(app_path).json()["app"]["version"]
        for change, status, field in [({"hardware": {"cpus": 64}}, 422, "hardware.cpus"),
                                      ({"hardware": {"gpus": 3}}, 422, "hardware.gpus"),
                                      ({"env": {"MARATHON_APP_ID": "x"}}, 422,
                                       "env.MARATHON_APP_ID"),
                                      ({"image": "deephdc/other"}, 422, "image"),
                                      ({"hardware": {"memory": 32768}}, 403, None)]:
            refused = stack.gateway.patch(f"/v1/deployments/{deployment_id}", json=change,
                                          headers=stack.as_user("alice"))
            assert refused.status_code == status, (change, refused.text)
            if field:
                assert field in {e["field"] for e in refused.json()["errors"]}, refused.json()
            else:
                assert refused.json()["code"] == "quota_exceeded"
        assert stack.marathon.get(app_path).json()["app"]["version"] == before
        assert stack.gateway.patch(f"/v1/deployments/{deployment_id}", json={"description": "x"},
                                   headers=stack.as_user("bob")).status_code == 404
    finally:
        stack.delete(deployment_id)
        stack.delete(other)
