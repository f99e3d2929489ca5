"""The job routes against a scripted Chronos and Mesos: validation before anything is sent,
Chronos' error shapes, ownership on every route, runs and logs from the Mesos master."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from tests.support.fake_api import FakeApi, error_fields, fake_api
from tests.support.fake_chronos import CHRONOS, HTML_500, MARATHON, MESOS, FakeChronos

CPU_JOB = {"name": "prepare-data", "image": "deephdc/deep-oc-generic-dev:cpu",
           "command": "python prepare.py", "hardware": {"cpus": 1, "memory": 2048, "gpus": 0}}


@dataclass
class Harness(FakeApi):
    chronos: FakeChronos

    def submit(self, user: str = "alice", **changes: object) -> httpx.Response:
        return self.call("POST", "/v1/jobs", user, json={**CPU_JOB, **changes})


def _harness(**settings: object) -> Iterator[Harness]:
    chronos = FakeChronos()
    with fake_api(chronos, marathon_url=MARATHON, mesos_url=MESOS, chronos_url=CHRONOS,
                  **settings) as api:
        yield Harness(api.client, api.tokens, api.issuer, chronos)


configured = contextmanager(_harness)


@pytest.fixture
def harness() -> Iterator[Harness]:
    # These tests change Chronos behind the gateway's back (a submission reads the job back,
    # which would otherwise fill the shared listing): every read asks Chronos.
    yield from _harness(chronos_cache_ttl=0.0)


def test_the_location_of_a_new_job_starts_with_the_proxys_path_prefix(harness):
    response = harness.call("POST", "/v1/jobs", json=CPU_JOB,
                            headers={"X-Forwarded-Prefix": "/gpu-gateway"})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/gpu-gateway/v1/jobs/{response.json()['id']}"


def test_a_job_run_now_becomes_a_chronos_job_named_after_its_owner(harness):
    response = harness.submit(args=["--input", "my data; rm -rf /"])
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["name"] == "prepare-data" and job["status"] in ("queued", "scheduled")
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    [sent] = harness.chronos.posted
    assert sent["name"] == job["id"] and job["id"].startswith("gw-") and job["id"].endswith(
        "-prepare-data")
    assert sent["container"] == {"type": "MESOS", "image": "deephdc/deep-oc-generic-dev:cpu",
                                 "forcePullImage": False}
    # Arguments are quoted into the shell command, never left to Chronos (which strips ';').
    assert sent["command"] == "python prepare.py --input 'my data; rm -rf /'"
    assert "arguments" not in sent
    assert sent["schedule"].startswith("R1/") and sent["scheduleTimeZone"] == "UTC"
    assert job["args"] == ["--input", "my data; rm -rf /"] and job["command"] == "python prepare.py"


def test_a_dry_run_returns_the_chronos_job_and_sends_nothing(harness):
    response = harness.call("POST", "/v1/jobs?dry_run=true", json={
        **CPU_JOB, "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                               "rclone_user": "u", "rclone_password": "very-secret-password"}})
    assert response.status_code == 200, response.text
    chronos_job = response.json()
    assert chronos_job["name"].endswith("-prepare-data")
    env = {e["name"]: e["value"] for e in chronos_job["environmentVariables"]}
    assert env["RCLONE_CONFIG_RSHARE_PASS"] == "********"
    assert "very-secret-password" not in response.text
    assert harness.chronos.writes == [] and harness.chronos.posted == []


@pytest.mark.parametrize(("change", "field"), [
    ({"schedule": "R/2026-13-01T02:00:00Z/P1D"}, "schedule"),
    ({"schedule": "every night at two"}, "schedule"),
    ({"schedule": "R/1969-12-31T23:00:00Z/P1D"}, "schedule"),
    ({"schedule": "R/2026-12-01T02:00:00Z/PT5S"}, "schedule"),
    ({"schedule": "R/2026-12-01T02:00:00Z/P1D", "timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"schedule": "R/2026-12-01T02:00:00Z/P1D", "timezone": "BST"}, "timezone"),
    ({"schedule": "R/2026-12-01T02:00:00Z/P1D", "parents": ["prepare-data"]}, "parents"),
    ({"timezone": "Europe/Madrid"}, "timezone"),
    ({"env": {"1BAD": "x"}}, "env"),
    ({"env": {"CHRONOS_JOB_NAME": "spoof"}}, "env.CHRONOS_JOB_NAME"),
    ({"env": {"GATEWAY_JOB": "{}"}}, "env.GATEWAY_JOB"),
    ({"fetch": ["http://example.org/data.tgz"]}, "fetch"),
    ({"name": "has space"}, "name"),
    ({"name": "gw-0123-x"}, "name"),
    ({"retries": 9}, "retries"),
    ({"hardware": {"gpus": 1}}, "hardware.gpus"),
    ({"image": "evil/miner:latest"}, "image"),
    ({"image": None, "module": "speech-to-text-tf", "hardware": {"memory": 2048}},
     "hardware.memory"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_reaches_chronos(harness, change, field):
    response = harness.submit(**change)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in error_fields(response)
    assert harness.chronos.writes == []


def test_gpus_are_refused_with_a_clear_sentence_when_chronos_lacks_gpu_support(harness):
    response = harness.submit(hardware={"cpus": 1, "memory": 2048, "gpus": 1})
    assert response.status_code == 422
    assert "GPU" in response.json()["detail"]
    assert harness.chronos.writes == []


def test_gpus_are_sent_when_the_chronos_build_supports_them():
    with configured(chronos_gpus=True) as harness:
        response = harness.submit(module="image-classification-tf", image=None,
                                  hardware={"cpus": 1, "memory": 2048, "gpus": 1})
        assert response.status_code == 201, response.text
        [sent] = harness.chronos.posted
        assert sent["gpus"] == 1 and sent["container"]["image"].endswith(":gpu")
        assert response.json()["hardware"]["gpus"] == 1


def test_a_second_job_with_the_same_name_is_refused_but_another_user_may_use_it(harness):
    assert harness.submit().status_code == 201
    clash = harness.submit(command="python other.py")
    assert clash.status_code == 422 and error_fields(clash) == {"name"}
    assert len(harness.chronos.posted) == 1
    assert harness.submit(user="bob").status_code == 201


def test_parents_must_be_the_callers_own_existing_jobs(harness):
    assert harness.submit(user="bob", name="bobs-data").status_code == 201
    response = harness.submit(name="evaluate", parents=["bobs-data"])
    assert response.status_code == 422 and error_fields(response) == {"parents.0"}
    assert harness.submit(name="prepare-data").status_code == 201
    child = harness.submit(name="evaluate", parents=["prepare-data"])
    assert child.status_code == 201, child.text
    [_, _, sent] = harness.chronos.posted
    assert sent["parents"] == [harness.chronos.posted[1]["name"]] and "schedule" not in sent
    assert ("POST", "/v1/scheduler/dependency") in harness.chronos.calls
    assert child.json()["parents"] == ["prepare-data"]


def test_another_user_neither_sees_nor_touches_a_job(harness):
    job = harness.submit().json()
    for method, path in [("GET", ""), ("POST", "/run"), ("POST", "/kill"), ("DELETE", ""),
                         ("GET", "/logs")]:
        for job_ref in (job["id"], job["name"]):
            response = harness.call(method, f"/v1/jobs/{job_ref}{path}", user="bob")
            assert response.status_code == 404, (method, path, job_ref)
    assert harness.call("GET", "/v1/jobs", user="bob").json()["items"] == []
    assert [w for w in harness.chronos.writes if w[0] != "POST"] == []
    everyone = harness.call("GET", "/v1/jobs?all=true", user="admin").json()["items"]
    assert [j["id"] for j in everyone] == [job["id"]]
    assert harness.call("GET", "/v1/jobs?all=true", user="bob").status_code == 403


def test_a_job_answers_to_its_bare_name_and_reports_counts_and_runs(harness):
    job = harness.submit().json()
    stored = harness.chronos.jobs[job["id"]]
    stored.update(successCount=1, errorCount=1, lastSuccess="2025-11-29T12:01:00.000Z",
                  lastError="2025-11-29T12:00:00.000Z")
    harness.chronos.add_run(job["id"], "TASK_FAILED", due_ms=1_764_417_600_000)
    harness.chronos.add_run(job["id"], "TASK_FINISHED", due_ms=1_764_417_600_000, attempt=1)
    harness.chronos.add_run("gw-someone-else", "TASK_FINISHED")
    shown = harness.call("GET", "/v1/jobs/prepare-data").json()
    assert shown["id"] == job["id"]
    assert shown["success_count"] == 1 and shown["error_count"] == 1
    assert shown["last_success"].startswith("2025-11-29T12:01")
    assert [(r["attempt"], r["state"], r["host"]) for r in shown["runs"]] == [
        (1, "succeeded", "agent.test"), (0, "failed", "agent.test")]
    assert shown["status"] == "succeeded"


def test_a_run_ending_while_the_job_is_read_never_shows_succeeded_without_its_success(harness):
    job = harness.submit().json()
    stored = harness.chronos.jobs[job["id"]]
    stored["schedule"] = "R0/" + stored["schedule"].split("/", 1)[1]  # Chronos counted it down
    harness.chronos.states[job["id"]] = "1 running"
    harness.chronos.add_run(job["id"], "TASK_FINISHED")

    def run_ends() -> None:  # Chronos records the success as the run's task finishes
        stored.update(successCount=1, lastSuccess="2026-11-29T12:01:00.000Z")
        harness.chronos.states[job["id"]] = "idle"

    harness.chronos.on_summary = run_ends
    shown = harness.call("GET", f"/v1/jobs/{job['id']}").json()
    assert shown["status"] in ("running", "succeeded")
    assert (shown["status"] == "succeeded") == (shown["success_count"] == 1), shown


def test_a_run_ending_while_the_jobs_are_listed_never_shows_succeeded_without_its_success(harness):
    job = harness.submit().json()
    stored = harness.chronos.jobs[job["id"]]
    stored["schedule"] = "R0/" + stored["schedule"].split("/", 1)[1]
    harness.chronos.states[job["id"]] = "1 running"
    harness.chronos.add_run(job["id"], "TASK_FINISHED")

    def run_ends() -> None:
        stored.update(successCount=1, lastSuccess="2026-11-29T12:01:00.000Z")
        harness.chronos.states[job["id"]] = "idle"

    harness.chronos.on_summary = run_ends
    [listed] = harness.call("GET", "/v1/jobs").json()["items"]
    assert (listed["status"] == "succeeded") == (listed["success_count"] == 1), listed


def test_a_task_mesos_refused_shows_the_job_failed_although_chronos_says_queued(harness):
    job = harness.submit().json()
    harness.chronos.states[job["id"]] = "queued"
    harness.chronos.add_run(job["id"], "TASK_ERROR", message="Failed to pull image")
    shown = harness.call("GET", f"/v1/jobs/{job['id']}").json()
    assert shown["status"] == "failed" and "Failed to pull image" in shown["status_reason"]


def test_logs_of_the_newest_or_a_chosen_run_come_from_the_mesos_sandbox(harness):
    job = harness.submit().json()
    first = harness.chronos.add_run(job["id"], "TASK_FAILED", due_ms=1_000_000_000_000,
                                    stdout=b"epoch 1\nboom\n")
    harness.chronos.add_run(job["id"], "TASK_FINISHED", due_ms=1_000_000_100_000,
                            stdout=b"epoch 1\nepoch 2\ndone\n")
    newest = harness.call("GET", f"/v1/jobs/{job['id']}/logs?tail=1")
    assert newest.status_code == 200 and newest.text == "done\n"
    chosen = harness.call("GET", f"/v1/jobs/{job['id']}/logs", params={"run": first})
    assert chosen.text == "epoch 1\nboom\n" and chosen.headers["x-run-id"] == first
    other = harness.call("GET", f"/v1/jobs/{job['id']}/logs", params={"run": "ct:1:0:gw-x-y:"})
    assert other.status_code == 404


def test_a_followed_run_log_whose_agent_fails_ends_saying_why(harness):
    job = harness.submit().json()
    harness.chronos.add_run(job["id"], "TASK_RUNNING", stdout=b"epoch 1\n")
    harness.chronos.reads_before_agent_fails = 2  # the file's size and its tail, then nothing
    response = harness.call("GET", f"/v1/jobs/{job['id']}/logs?tail=1&follow=true")
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0] == "epoch 1"
    assert lines[-1] == "[gateway] the log stream stopped: The Mesos agent failed (HTTP 500)."


def test_run_now_and_kill_reach_chronos_and_a_disabled_job_is_not_silently_dropped(harness):
    job = harness.submit().json()
    assert harness.call("POST", f"/v1/jobs/{job['id']}/run").status_code == 202
    harness.chronos.add_run(job["id"], "TASK_RUNNING")
    assert harness.call("POST", f"/v1/jobs/{job['id']}/kill").status_code == 202
    assert ("PUT", f"/v1/scheduler/job/{job['id']}") in harness.chronos.calls
    assert ("DELETE", f"/v1/scheduler/task/kill/{job['id']}") in harness.chronos.calls
    disabled = harness.submit(name="paused", disabled=True).json()
    refused = harness.call("POST", f"/v1/jobs/{disabled['id']}/run")
    assert refused.status_code == 409 and disabled["status"] == "disabled"


def test_deleting_a_parent_is_refused_while_children_exist_unless_they_go_first(harness):
    parent = harness.submit().json()
    child = harness.submit(name="evaluate", parents=["prepare-data"]).json()
    grandchild = harness.submit(name="report", parents=["evaluate"]).json()
    refused = harness.call("DELETE", f"/v1/jobs/{parent['id']}")
    assert refused.status_code == 409 and "evaluate" in refused.json()["detail"]
    assert parent["id"] in harness.chronos.jobs
    deleted = harness.call("DELETE", f"/v1/jobs/{parent['id']}?children=delete")
    assert deleted.status_code == 204
    deletes = [path.rsplit("/", 1)[1] for method, path in harness.chronos.calls
               if method == "DELETE"]
    assert deletes == [grandchild["id"], child["id"], parent["id"]]
    assert harness.chronos.jobs == {}


def test_chronos_errors_become_problems_without_its_stack_trace_or_html(harness):
    harness.chronos.refuse_next = httpx.Response(500, text=HTML_500)
    failed = harness.submit()
    assert failed.status_code == 502
    assert "html" not in failed.text.lower() and "java" not in failed.text.lower()
    assert harness.call("GET", "/v1/jobs/nothing-here").status_code == 404
    assert "java" not in harness.call("GET", "/v1/jobs/nothing-here").text


def test_jobs_count_against_the_users_job_quota():
    with configured(quota_jobs=1) as harness:
        assert harness.submit().status_code == 201
        over = harness.submit(name="second")
        assert over.status_code == 403 and over.json()["code"] == "quota_exceeded"
        assert len(harness.chronos.posted) == 1
        assert harness.submit(user="bob", name="second").status_code == 201


def test_an_administrators_change_is_held_to_the_owners_quota_not_the_administrators():
    with configured(quota_cpus=2, quota_groups={"deep/admins": {"cpus": 100}},
                    chronos_cache_ttl=0.0) as harness:
        job_id = harness.submit().json()["id"]  # alice's, 1 CPU
        refused = harness.call("PATCH", f"/v1/jobs/{job_id}", "admin",
                               json={"hardware": {"cpus": 4}})
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"].startswith("The owner's quota does not allow this")
        assert len(harness.chronos.posted) == 1
        own = harness.call("PATCH", f"/v1/jobs/{job_id}", json={"hardware": {"cpus": 4}})
        assert own.json()["quota"] == refused.json()["quota"]
        assert harness.call("PATCH", f"/v1/jobs/{job_id}", "admin",
                            json={"hardware": {"cpus": 2}}).status_code == 200


def test_an_administrators_change_of_a_job_follows_the_owners_recorded_groups_and_keeps_them():
    with configured(quota_cpus=2, quota_groups={"deep": {"cpus": 6}},
                    chronos_cache_ttl=0.0) as harness:
        job_id = harness.submit().json()["id"]
        for cpus, status in ((6, 200), (5, 200), (7, 403)):
            changed = harness.call("PATCH", f"/v1/jobs/{job_id}", "admin",
                                   json={"hardware": {"cpus": cpus}})
            assert changed.status_code == status, (cpus, changed.text)
        # The administrator's change kept what was recorded of the owner, not the admin's.
        meta = json.loads(next(e["value"] for e in harness.chronos.posted[-1][
            "environmentVariables"] if e["name"] == "GATEWAY_JOB"))
        assert meta["quota_groups"] == ["deep"] and meta["owner_name"] == "Alice Example"


def test_admins_see_the_name_a_job_owner_had_when_submitting(harness):
    harness.submit()
    [job] = harness.call("GET", "/v1/jobs?all=true", "admin").json()["items"]
    assert job["owner_name"] == "Alice Example" and len(job["owner"]) == 32
