"""End to end through the HTTP API and the CLI against the simulated cluster (Chronos on the
simulated Mesos master, time accelerated): what a scientist does with batch jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from gateway.cli import main
from gateway.cli.errors import Exit
from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import JOB_CPU, JobStack
from tests.support.paths import JOB_SPECS

pytestmark = pytest.mark.slow
# One real second is two simulated minutes: Chronos' one-minute retry delay takes half a second,
# a PT1M schedule fires twice a second.
TIME_SCALE = 120.0


@pytest.fixture(scope="module")
def stack() -> Iterator[JobStack]:
    sim_config = SimConfig(agents=2, agent_cpus=8.0, agent_mem=32768, agent_disk=102400,
                           agent_gpus=1, time_scale=TIME_SCALE)
    # The gateway is told its Chronos lacks the GPU patch (the sim's has it): GPU jobs are refused.
    with running(DevStack(sim_config=sim_config, job_specs_dir=JOB_SPECS,
                          settings={"chronos_gpus": False})) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=15) as gateway, \
                httpx.Client(base_url=info.chronos_url, timeout=15) as chronos:
            yield JobStack(info, gateway, chronos)


def test_a_job_run_now_succeeds_and_its_run_and_logs_are_reported(stack):
    created = stack.submit(name="run-now", env={"SIM_DURATION": "30"})
    assert created.status_code == 201, created.text
    job = stack.wait(created.json()["id"], lambda j: j["status"] == "succeeded")
    assert job["status"] == "succeeded", job
    assert job["success_count"] == 1 and job["error_count"] == 0 and job["last_success"]
    [run] = job["runs"]
    assert run["state"] == "succeeded" and run["attempt"] == 0 and run["host"]
    assert run["started_at"] and run["finished_at"]
    logs = stack.call("GET", f"/v1/jobs/{job['id']}/logs")
    assert logs.status_code == 200 and run["id"] in logs.text
    assert "python job.py" in logs.text


def test_following_a_runs_log_streams_until_the_run_ends(stack):
    created = stack.submit(name="followed", env={"SIM_DURATION": "240"})  # two real seconds
    job_id = created.json()["id"]
    assert stack.wait(job_id, lambda j: j["status"] == "running")["status"] == "running"
    started = time.monotonic()
    followed = stack.call("GET", f"/v1/jobs/{job_id}/logs", params={"follow": "true"},
                          timeout=30)
    assert followed.status_code == 200
    assert "Forked command" in followed.text
    assert "Command exited with status 0" in followed.text  # written as the run ended
    assert time.monotonic() - started < 20
    assert stack.wait(job_id, lambda j: j["status"] == "succeeded")["status"] == "succeeded"


def test_a_repeating_schedule_fires_on_accelerated_time(stack):
    start = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    created = stack.submit(name="every-minute", schedule=f"R/{start}/PT1M",
                           timezone="Europe/Madrid", env={"SIM_DURATION": "5"})
    assert created.status_code == 201, created.text
    assert created.json()["timezone"] == "Europe/Madrid" and created.json()["next_run"]
    job = stack.wait(created.json()["id"], lambda j: j["success_count"] >= 3)
    assert job["success_count"] >= 3, job
    assert len({run["id"] for run in job["runs"]}) >= 3
    assert stack.call("DELETE", f"/v1/jobs/{job['id']}").status_code == 204


def test_a_dependent_job_runs_after_its_parent(stack):
    # Five real seconds of work: long enough to add the child before the parent ends.
    parent = stack.submit(name="parent", env={"SIM_DURATION": "600"})
    assert parent.status_code == 201
    child = stack.submit(name="child", parents=["parent"])
    assert child.status_code == 201, child.text
    assert child.json()["status"] == "scheduled" and child.json()["parents"] == ["parent"]
    assert stack.job(child.json()["id"])["success_count"] == 0
    done = stack.wait(child.json()["id"], lambda j: j["success_count"] == 1)
    assert done["success_count"] == 1, done
    assert stack.job(parent.json()["id"])["success_count"] == 1
    refused = stack.call("DELETE", f"/v1/jobs/{parent.json()['id']}")
    assert refused.status_code == 409
    assert stack.call("DELETE", f"/v1/jobs/{parent.json()['id']}?children=delete").status_code == 204
    assert not {parent.json()["id"], child.json()["id"]} & set(stack.chronos_names())


def test_a_failing_job_is_retried_and_each_attempt_is_in_the_history(stack):
    created = stack.submit(name="flaky", retries=2, env={"SIM_EXIT_CODE": "3"})
    # The gateway reads Chronos' summary, then the job: a run ending between the two reads is
    # seen "running" with its error already counted. Wait for the end, not that instant.
    job = stack.wait(created.json()["id"],
                     lambda j: j["error_count"] == 1 and j["status"] != "running")
    assert job["status"] == "failed" and job["error_count"] == 1, job
    assert sorted(run["attempt"] for run in job["runs"]) == [0, 1, 2]
    assert {run["state"] for run in job["runs"]} == {"failed"}


def test_a_running_job_is_killed_and_its_run_says_so(stack):
    created = stack.submit(name="long", env={"SIM_DURATION": "100000"})
    job_id = created.json()["id"]
    assert stack.wait(job_id, lambda j: j["status"] == "running")["status"] == "running"
    assert stack.call("POST", f"/v1/jobs/{job_id}/kill").status_code == 202
    job = stack.wait(job_id, lambda j: bool(j["runs"]) and j["runs"][0]["state"] == "killed")
    assert job["runs"][0]["state"] == "killed", job
    # Run now again, then the whole job goes.
    assert stack.call("POST", f"/v1/jobs/{job_id}/run").status_code == 202
    assert stack.wait(job_id, lambda j: j["status"] == "running")["status"] == "running"
    assert stack.call("DELETE", f"/v1/jobs/{job_id}").status_code == 204
    assert job_id not in stack.chronos_names()


def test_another_user_neither_sees_nor_touches_a_job(stack):
    job = stack.submit(name="private", disabled=True).json()
    for method, suffix in [("GET", ""), ("POST", "/run"), ("POST", "/kill"), ("DELETE", ""),
                           ("GET", "/logs")]:
        assert stack.call(method, f"/v1/jobs/{job['id']}{suffix}", "bob").status_code == 404
    assert job["id"] not in [j["id"] for j in stack.call("GET", "/v1/jobs", "bob").json()["items"]]
    assert job["id"] in stack.chronos_names()


def test_gpus_are_refused_when_the_gateway_is_told_chronos_lacks_them(stack):
    before = stack.chronos_names()
    response = stack.submit(name="gpu", hardware={**JOB_CPU, "gpus": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "hardware.gpus"
    assert stack.chronos_names() == before


@pytest.mark.parametrize(("change", "field"), [
    ({"schedule": "R/2026-12-01T02:00:00Z/P1Q"}, "schedule"),
    ({"schedule": "R/2026-12-01T02:00:00Z/P1D", "timezone": "Europe/Nowhere"}, "timezone"),
    ({"parents": ["someone-elses"]}, "parents.0"),
    ({"env": {"MESOS_TASK_ID": "x"}}, "env.MESOS_TASK_ID"),
])
def test_bad_input_is_refused_naming_the_field_and_chronos_gets_nothing(stack, change, field):
    assert stack.submit(user="bob", name="someone-elses", disabled=True).status_code in (201, 422)
    before = stack.chronos_names()
    response = stack.submit(name="bad-input", **change)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}
    assert stack.chronos_names() == before


def test_the_cli_submits_and_follows_runs_to_their_end(stack, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_URL", stack.info.gateway_url)
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", stack.info.tokens["alice"])
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    base = {"image": "deephdc/deep-oc-generic-dev:cpu", "hardware": JOB_CPU}
    good.write_text(yaml.safe_dump({**base, "name": "cli-good", "command": "sleep 20"}))
    bad.write_text(yaml.safe_dump({**base, "name": "cli-bad", "command": "exit 4", "retries": 1}))
    assert main(["jobs", "submit", str(good), "--wait", "--interval", "0.2",
                 "--timeout", "30"]) == Exit.OK
    assert "succeeded" in capsys.readouterr().err
    assert main(["jobs", "submit", str(bad), "--wait", "--interval", "0.2",
                 "--timeout", "30"]) == Exit.RUN_FAILED
    err = capsys.readouterr().err
    assert "attempt 1) failed" in err and "failed (no retries left)" in err
    assert main(["jobs", "logs", "cli-good"]) == Exit.OK
    assert "sleep 20" in capsys.readouterr().out


def test_with_a_gpu_build_of_chronos_a_gpu_job_runs_on_a_gpu_agent():
    sim_config = SimConfig(agents=2, agent_gpus=1, time_scale=TIME_SCALE, chronos_gpus=True)
    stack_settings = {"chronos_gpus": True}
    with running(DevStack(sim_config=sim_config, job_specs_dir=JOB_SPECS,
                          settings=stack_settings)) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=15) as gateway, \
                httpx.Client(base_url=info.chronos_url, timeout=15) as chronos:
            stack = JobStack(info, gateway, chronos)
            created = stack.submit(name="gpu-train", module="image-classification-tf", image=None,
                                   hardware={**JOB_CPU, "gpus": 1}, env={"SIM_DURATION": "30"})
            assert created.status_code == 201, created.text
            assert created.json()["image"].endswith(":gpu")
            job = stack.wait(created.json()["id"], lambda j: j["status"] == "succeeded")
            assert job["status"] == "succeeded" and job["hardware"]["gpus"] == 1, job
            sent = chronos.get(f"/v1/scheduler/job/{job['id']}").json()
            assert sent["gpus"] == 1
