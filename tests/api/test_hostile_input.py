"""Seven answers hostile input used to get wrong (issue 17): each is refused cleanly, leaves
nothing behind, and never breaks what other requests see."""

from __future__ import annotations

import json

import pytest

from tests.api.test_jobs_http import _harness as jobs_harness
from tests.support.deployments_harness import harness_for as deployments_harness

JOB_ROUTES = [("GET", ""), ("POST", "/run"), ("POST", "/kill"), ("DELETE", ""), ("GET", "/logs")]
END_OF_TIME = [
    ("R/1970-01-01T00:00:01Z/P8100Y", None),
    ("R/9999-12-31T23:00:00/P1D", "America/Los_Angeles"),
    ("R/9999-12-31T23:59:59-12:00/P1D", None),
    ("R/9999-12-31T00:00:00Z/P1D", None),
]


@pytest.fixture
def jobs():
    # Jobs are edited in Chronos behind the gateway's back: no shared listing hides it.
    yield from jobs_harness(chronos_cache_ttl=0.0)


@pytest.fixture
def deployments():
    yield from deployments_harness()


@pytest.mark.parametrize(("method", "suffix"), JOB_ROUTES)
def test_a_job_id_ending_in_a_newline_is_not_found_on_every_job_route(jobs, method, suffix):
    assert jobs.submit(name="x").status_code == 201
    for job_id in ("x%0A", "x%0a%0A", "gw-" + "0" * 32 + "-x%0A"):
        response = jobs.call(method, f"/v1/jobs/{job_id}{suffix}")
        assert response.status_code == 404, (job_id, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("schedule", "zone"), END_OF_TIME)
@pytest.mark.parametrize("dry_run", [True, False])
def test_schedules_near_the_end_of_time_are_refused_and_send_nothing(jobs, schedule, zone,
                                                                     dry_run):
    body = {"schedule": schedule, **({"timezone": zone} if zone else {})}
    response = jobs.call("POST", f"/v1/jobs?dry_run={str(dry_run).lower()}",
                         json={**_cpu_job(), **body})
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == {"schedule"}
    assert jobs.chronos.posted == [] and jobs.chronos.jobs == {}


def test_one_unreadable_job_is_listed_as_unknown_and_breaks_nothing(jobs):
    assert jobs.submit(name="fine").status_code == 201
    assert jobs.submit(name="odd").status_code == 201
    [odd] = [name for name in jobs.chronos.jobs if name.endswith("-odd")]
    # Stored by an older gateway, or edited in Chronos: its next slot is past the year 9999.
    jobs.chronos.jobs[odd]["schedule"] = "R/9999-12-31T00:00:00.000Z/P1D"
    jobs.chronos.jobs[odd]["cpus"] = "lots"

    listed = jobs.call("GET", "/v1/jobs")
    assert listed.status_code == 200, listed.text
    statuses = {job["name"]: job["status"] for job in listed.json()["items"]}
    assert statuses["odd"] == "unknown" and statuses["fine"] != "unknown"
    [unknown] = [job for job in listed.json()["items"] if job["name"] == "odd"]
    assert "cannot read" in unknown["status_reason"]
    assert jobs.call("GET", "/v1/jobs/odd").json()["status"] == "unknown"
    assert jobs.call("GET", "/v1/jobs?all=true", "admin").status_code == 200
    # Its owner can still get rid of it.
    assert jobs.call("DELETE", "/v1/jobs/odd").status_code == 204


def test_one_unreadable_deployment_is_listed_as_unknown_and_breaks_nothing(deployments):
    first = deployments.deploy().json()["id"]
    second = deployments.deploy().json()["id"]
    [app] = [a for a in deployments.cluster.apps.values() if a["id"].endswith(second)]
    app["cpus"] = "lots"
    app["tasks"] = [{"no": "id"}]

    listed = deployments.call("GET", "/v1/deployments")
    assert listed.status_code == 200, listed.text
    statuses = {d["id"]: d["status"] for d in listed.json()["items"]}
    assert statuses[second] == "unknown" and statuses[first] != "unknown"
    assert deployments.call("GET", f"/v1/deployments/{second}").json()["status"] == "unknown"
    assert deployments.call("DELETE", f"/v1/deployments/{second}").status_code == 204


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[2J", "bell\x07", "del\x7f"])
def test_control_characters_in_environment_values_are_refused_for_deployments_and_jobs(
        deployments, jobs, value):
    refused = deployments.deploy(body={"module": "image-classification-tf", "env": {"A": value}})
    assert refused.status_code == 422 and deployments.cluster.posts == 0
    assert {e["field"] for e in refused.json()["errors"]} == {"env"}
    refused = jobs.submit(env={"A": value})
    assert refused.status_code == 422 and jobs.chronos.posted == []


def test_tabs_and_line_breaks_in_environment_values_are_kept(deployments):
    assert deployments.deploy(body={"module": "image-classification-tf",
                                    "env": {"A": "one\ttwo\nthree\r\n"}}).status_code == 202


@pytest.mark.parametrize("cpus", [1e-320, 0.0001, 0.009, 0, -1])
def test_cpus_the_schedulers_refuse_or_never_place_are_refused_before_calling(deployments, jobs,
                                                                              cpus):
    refused = deployments.deploy(body={"module": "image-classification-tf",
                                       "hardware": {"cpus": cpus}})
    assert refused.status_code == 422, refused.text
    assert {e["field"] for e in refused.json()["errors"]} == {"hardware.cpus"}
    assert deployments.cluster.posts == 0
    refused = jobs.submit(hardware={"cpus": cpus, "memory": 1024})
    assert refused.status_code == 422 and jobs.chronos.posted == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_cpus_are_refused(deployments, number):
    body = '{"module": "image-classification-tf", "hardware": {"cpus": NUMBER}}'.replace(
        "NUMBER", number)
    refused = deployments.call("POST", "/v1/deployments", content=body,
                               headers={"Content-Type": "application/json"})
    assert refused.status_code == 422 and deployments.cluster.posts == 0


def test_the_smallest_cpu_share_is_accepted(deployments):
    response = deployments.deploy(body={"module": "image-classification-tf",
                                        "hardware": {"cpus": 0.01}})
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("OPTIONS", "/v1/deployments", "GET, HEAD, POST"),
    ("PUT", "/v1/deployments/0123456789abcdef01234567", "DELETE, GET, HEAD, PATCH"),
    ("PATCH", "/v1/jobs", "GET, HEAD, POST"),
    ("GET", "/v1/jobs/x/run", "POST"),
    ("POST", "/healthz", "GET, HEAD"),
])
def test_a_405_lists_every_allowed_method(deployments, method, path, allowed):
    response = deployments.call(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.headers["content-type"] == "application/problem+json"


def _cpu_job() -> dict[str, object]:
    return {"name": "far", "image": "deephdc/deep-oc-generic-dev:cpu", "command": "true",
            "hardware": {"cpus": 1, "memory": 1024, "gpus": 0}}


def test_a_malformed_body_without_a_token_is_401_not_422(deployments):
    for path in ("/v1/deployments", "/v1/jobs"):
        response = deployments.client.post(path, content=b'{"module": ',
                                           headers={"Content-Type": "application/json"})
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        response = deployments.client.post(path, content=b"[1, 2",
                                           headers={"Authorization": "Bearer not.a.token",
                                                    "Content-Type": "application/json"})
        assert response.status_code == 401, response.text


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read():
    harness = deployments_harness(max_body_bytes=4096)
    deployments = next(harness)
    big = json.dumps({"module": "image-classification-tf", "description": "x" * 5000})
    declared = deployments.call("POST", "/v1/deployments", content=big,
                                headers={"Content-Type": "application/json"})
    assert declared.status_code == 413, declared.text
    assert declared.json()["code"] == "payload_too_large"
    assert declared.headers["content-type"] == "application/problem+json"

    def chunks():  # no Content-Length: the body is counted as it is read
        for start in range(0, len(big), 1000):
            yield big[start:start + 1000].encode()

    streamed = deployments.call("POST", "/v1/deployments", content=chunks(),
                                headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, streamed.text
    assert deployments.cluster.posts == 0
    small = deployments.deploy()
    assert small.status_code == 202
    harness.close()


def test_the_default_body_limit_is_one_mebibyte(deployments):
    body = b'{"module": "image-classification-tf", "description": "' + b"x" * (1 << 20) + b'"}'
    response = deployments.call("POST", "/v1/deployments", content=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 413
