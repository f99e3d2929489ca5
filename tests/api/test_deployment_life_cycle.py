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
                          settings={"chronos_gpus": True})) as info:
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
    assert "  restarting: " in captured.err and "  failed: It keeps crashing" in captured.err
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

