"""A scientist's batch job from submission to re-run, through the HTTP API and the CLI, against
the simulated cluster (time accelerated): what they are told must be true at every step."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml

from gateway.cli import main
from gateway.cli.errors import Exit
from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import JOB_CPU as CPU
from tests.support.gateway_stack import JobStack
from tests.support.paths import JOB_SPECS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[JobStack]:
    sim_config = SimConfig(agents=2, agent_gpus=1, time_scale=120.0)
    with running(DevStack(sim_config=sim_config, job_specs_dir=JOB_SPECS,
                          settings={"quota_memory": 24576})) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=15) as gateway, \
                httpx.Client(base_url=info.chronos_url, timeout=15) as chronos:
            yield JobStack(info, gateway, chronos)


@pytest.fixture
def client(stack: JobStack) -> JobStack:
    return stack


def test_a_fresh_run_now_job_is_queued_or_running_never_done(client):
    created = client.submit(name="fresh", command="sleep 600")
    assert created.status_code == 201, created.text
    assert created.json()["status"] in ("queued", "running"), created.json()
    assert created.json()["success_count"] == 0


def test_a_killed_run_once_job_says_it_was_killed_not_queued(client):
    job_id = client.submit(name="to-kill", command="sleep 100000").json()["id"]
    assert client.wait(job_id, lambda j: j["status"] == "running")["status"] == "running"
    killed = client.call("POST", f"/v1/jobs/{job_id}/kill")
    assert killed.status_code == 202
    client.wait(job_id, lambda j: bool(j["runs"]) and j["runs"][0]["state"] == "killed")
    time.sleep(0.5)  # long enough for a stale "queued" to show
    job = client.job(job_id)
    assert job["status"] == "failed" and "killed" in job["status_reason"], job


def test_killing_a_job_with_nothing_running_is_a_conflict_that_says_so(client):
    job_id = client.submit(name="idle-kill", command="sleep 1", disabled=True).json()["id"]
    response = client.call("POST", f"/v1/jobs/{job_id}/kill")
    assert response.status_code == 409
    assert "Nothing to kill" in response.json()["detail"]


def test_a_finished_run_once_job_can_be_run_again(client):
    job_id = client.submit(name="again", command="sleep 5").json()["id"]
    done = client.wait(job_id, lambda j: j["status"] == "succeeded" and j["disabled"])
    assert done["status"] == "succeeded" and done["disabled"], done
    assert "disabled" in done["status_reason"]
    rerun = client.call("POST", f"/v1/jobs/{job_id}/run")
    assert rerun.status_code == 202, rerun.text
    assert rerun.json()["status"] in ("queued", "running") and not rerun.json()["disabled"]
    again = client.wait(job_id, lambda j: j["success_count"] == 2 and j["status"] != "running")
    assert again["success_count"] == 2 and again["status"] == "succeeded", again


def test_running_a_paused_job_is_refused_with_how_to_resume(client):
    job_id = client.submit(name="paused", command="sleep 1", disabled=True,
                           schedule="R/2030-01-01T00:00:00Z/P1D").json()["id"]
    assert client.job(job_id)["status"] == "disabled"
    response = client.call("POST", f"/v1/jobs/{job_id}/run")
    assert response.status_code == 409 and "resume" in response.json()["detail"]


def test_the_cli_shows_a_disabled_job_and_runs_it_again(stack, monkeypatch, capsys, tmp_path):
    info, client = stack.info, stack
    monkeypatch.setenv("GATEWAY_URL", info.gateway_url)
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", info.tokens["alice"])
    request = tmp_path / "job.yaml"
    request.write_text(yaml.safe_dump({"name": "cli-again", "image": "deephdc/deep-oc-generic-dev:cpu",
                                       "command": "sleep 5", "hardware": CPU}))
    assert main(["jobs", "submit", str(request), "--wait", "--interval", "0.1",
                 "--timeout", "30"]) == Exit.OK
    assert "submitted cli-again" in capsys.readouterr().out
    client.wait("cli-again", lambda j: j["disabled"])
    assert main(["jobs", "show", "cli-again"]) == Exit.OK
    assert re.search(r"^disabled: +yes", capsys.readouterr().out, re.M)
    assert main(["jobs", "run", "cli-again", "--wait", "--interval", "0.1",
                 "--timeout", "30"]) == Exit.OK
    assert "cli-again succeeded" in capsys.readouterr().err


def test_a_scheduled_job_is_paused_and_resumed_and_each_answer_is_the_whole_job(client):
    job_id = client.submit(name="nightly", command="python train.py",
                           schedule="R/2030-01-01T02:00:00Z/P1D").json()["id"]
    paused = client.call("PATCH", f"/v1/jobs/{job_id}", json={"disabled": True})
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "disabled" and paused.json()["command"] == "python train.py"
    assert client.chronos.get(f"/v1/scheduler/job/{job_id}").json()["disabled"] is True
    resumed = client.call("PATCH", f"/v1/jobs/{job_id}", json={"disabled": False})
    assert resumed.json()["status"] == "scheduled" and resumed.json()["next_run"]


def test_a_job_is_rescheduled_and_changed_and_bad_changes_are_refused_naming_the_field(client):
    job_id = client.submit(name="changing", command="python a.py",
                           schedule="R/2030-01-01T02:00:00Z/P1D").json()["id"]
    changed = client.call("PATCH", f"/v1/jobs/{job_id}", json={
        "schedule": "R5/2030-06-01T03:00:00Z/P1W", "timezone": "Europe/Madrid",
        "command": "python b.py", "args": ["--fast"], "env": {"EPOCHS": "3"},
        "hardware": {"memory": 1024}, "retries": 1, "description": "weekly now"})
    assert changed.status_code == 200, changed.text
    job = changed.json()
    assert job["timezone"] == "Europe/Madrid" and job["schedule"].startswith("R5/2030-06-01T03:00")
    assert (job["command"], job["args"], job["env"], job["retries"]) == (
        "python b.py", ["--fast"], {"EPOCHS": "3"}, 1)
    assert job["hardware"] == {**CPU, "memory": 1024} and job["description"] == "weekly now"
    before = client.chronos.get(f"/v1/scheduler/job/{job_id}").json()
    for change, field in [({"schedule": "R/2030-01-01T02:00:00Z/P1Q"}, "schedule"),
                          ({"env": {"MESOS_TASK_ID": "x"}}, "env.MESOS_TASK_ID"),
                          ({"hardware": {"cpus": 64}}, "hardware.cpus"),
                          ({"retries": 99}, "retries"),
                          ({"parents": ["nightly"]}, "parents"),
                          ({"name": "renamed"}, "name")]:
        refused = client.call("PATCH", f"/v1/jobs/{job_id}", json=change)
        assert refused.status_code == 422, (change, refused.text)
        assert field in {e["field"] for e in refused.json()["errors"]}, refused.json()
    assert client.chronos.get(f"/v1/scheduler/job/{job_id}").json() == before


def test_a_change_beyond_the_quota_is_refused_and_the_job_stays(client):
    job_id = client.submit(name="quota-bound", command="sleep 1", disabled=True).json()["id"]
    refused = client.call("PATCH", f"/v1/jobs/{job_id}", json={"hardware": {"memory": 30000}})
    assert refused.status_code == 403 and refused.json()["code"] == "quota_exceeded"
    assert client.job(job_id)["hardware"]["memory"] == CPU["memory"]


def test_changing_a_parent_keeps_its_dependents_intact(client):
    parent = client.submit(name="prep", command="sleep 1",
                           schedule="R/2030-01-01T02:00:00Z/P1D").json()["id"]
    child = client.submit(name="after-prep", command="python eval.py", parents=["prep"],
                          env={"KEEP": "me"}).json()["id"]
    before = client.chronos.get(f"/v1/scheduler/job/{child}").json()
    changed = client.call("PATCH", f"/v1/jobs/{parent}",
                          json={"command": "sleep 2", "schedule": "R/2030-02-01T02:00:00Z/P1D"})
    assert changed.status_code == 200, changed.text
    time.sleep(0.5)  # Chronos' loop reloads every job meanwhile
    after = client.chronos.get(f"/v1/scheduler/job/{child}").json()
    assert after == before
    assert client.job(child)["parents"] == ["prep"] and client.job(child)["env"] == {"KEEP": "me"}


def test_a_run_once_job_changed_after_its_run_does_not_run_again(client):
    job_id = client.submit(name="once-changed", command="sleep 5").json()["id"]
    done = client.wait(job_id, lambda j: j["status"] == "succeeded")
    assert done["success_count"] == 1
    changed = client.call("PATCH", f"/v1/jobs/{job_id}", json={"description": "annotated"})
    assert changed.status_code == 200 and changed.json()["status"] == "succeeded"
    time.sleep(1)
    assert client.job(job_id)["runs"] == done["runs"]
