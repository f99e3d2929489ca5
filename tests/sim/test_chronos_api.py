"""The simulated Chronos answers the REST calls of the fact sheet exactly as Chronos 3 does:
status codes, ApiResult bodies with stack traces, Jetty HTML for deserializer failures, and the
serialized job with its key order and defaults."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simcluster.chronos import ChronosInstance, ChronosOptions
from simcluster.chronos.standalone import ChronosCluster, standalone
from tests.sim.conftest import chronos_emptied
from tests.support.waiting import eventually as _eventually

pytestmark = pytest.mark.anyio

JOB_KEYS = [
    "name",
    "command",
    "shell",
    "executor",
    "executorFlags",
    "taskInfoData",
    "retries",
    "owner",
    "ownerName",
    "description",
    "successCount",
    "errorCount",
    "lastSuccess",
    "lastError",
    "cpus",
    "disk",
    "mem",
    "disabled",
    "softError",
    "dataProcessingJobType",
    "errorsSinceLastSuccess",
    "fetch",
    "uris",
    "environmentVariables",
    "arguments",
    "highPriority",
    "runAsUser",
    "concurrent",
]
FUTURE = "R/2030-01-01T00:00:00Z/P1D"


@pytest.fixture(scope="module")
async def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ChronosCluster]:
    async with standalone(tmp_path_factory.mktemp("chronos"), time_scale=10) as running:
        yield running


@pytest.fixture
async def cluster(shared_cluster: ChronosCluster) -> AsyncIterator[ChronosCluster]:
    """One cluster for the module, emptied after each test (the tests that need another
    configuration start their own)."""
    yield shared_cluster
    await chronos_emptied(shared_cluster)


@pytest.fixture
async def client(cluster: ChronosCluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.chronos.url) as http:
        yield http


# The API answers quickly here: a shorter wait than the shared default.
eventually = functools.partial(_eventually, timeout=5.0)



async def created(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    """Create is asynchronous: wait until the leader's graph knows the job."""

    async def fetch() -> dict[str, Any] | None:
        answer = await client.get(f"/v1/scheduler/job/{name}")
        return answer.json() if answer.status_code == 200 else None

    result: dict[str, Any] = await eventually(fetch)
    return result


def message(answer: httpx.Response) -> str:
    body = answer.json()
    assert list(body) == ["status", "message"]
    return str(body["message"])


async def test_a_created_job_is_served_with_defaults_in_the_serializers_key_order(client: httpx.AsyncClient):
    answer = await client.post("/v1/scheduler/iso8601", json={"name": "nightly", "schedule": FUTURE})
    assert answer.status_code == 204 and answer.content == b""

    job = await created(client, "nightly")

    assert list(job) == [*JOB_KEYS, "constraints", "schedule", "scheduleTimeZone"]
    assert job["command"] == "" and job["shell"] is True and job["retries"] == 2
    assert (job["cpus"], job["mem"], job["disk"]) == (0.1, 128.0, 256.0)
    assert job["runAsUser"] == "root" and job["schedule"] == FUTURE
    assert "gpus" not in job  # a released build has no such field
    raw = (await client.get("/v1/scheduler/job/nightly")).text
    assert raw.startswith('{"name":"nightly","command":"","shell":true,')


async def test_a_mesos_container_is_kept_with_its_image_and_written_back_in_order(client: httpx.AsyncClient):
    body = {
        "name": "train.model-1",
        "command": "python train.py",
        "schedule": FUTURE,
        "cpus": "2",
        "container": {
            "type": "mesos",
            "image": "deephdc/cuda:9",
            "forcePullImage": "true",
            "volumes": [{"containerPath": "/data", "hostPath": "/mnt", "mode": "ro"}],
        },
        "environmentVariables": [{"name": "EPOCHS", "value": "10"}],
        "fetch": [{"uri": "https://example.org/m.tgz"}],
        "constraints": [["hostname", "LIKE", ".*"], ["rack", "GROUP_BY", "x"]],
        "epsilon": "PT1M",
    }
    assert (await client.post("/v1/scheduler/iso8601", json=body)).status_code == 204

    job = await created(client, "train.model-1")

    assert job["cpus"] == 2.0
    assert job["container"] == {
        "type": "MESOS",
        "image": "deephdc/cuda:9",
        "network": "HOST",
        "networkInfos": [],
        "volumes": [{"hostPath": "/mnt", "containerPath": "/data", "mode": "RO"}],
        "forcePullImage": True,
        "parameters": [],
    }
    assert job["fetch"] == [
        {"uri": "https://example.org/m.tgz", "executable": False, "cache": False, "extract": True}
    ]
    assert job["constraints"] == [["hostname", "LIKE", ".*"]]  # unknown operator dropped
    assert "epsilon" not in job


async def test_a_container_without_image_is_ignored(client: httpx.AsyncClient):
    body = {"name": "plain", "schedule": FUTURE, "container": {"type": "MESOS"}}
    assert (await client.post("/v1/scheduler/iso8601", json=body)).status_code == 204
    assert "container" not in await created(client, "plain")


async def test_an_unknown_job_is_a_400_with_the_stack_trace_never_a_404(client: httpx.AsyncClient):
    for method, path in [
        ("GET", "/v1/scheduler/job/ghost"),
        ("PUT", "/v1/scheduler/job/ghost"),
        ("DELETE", "/v1/scheduler/job/ghost"),
        ("GET", "/v1/scheduler/job/stat/ghost"),
        ("DELETE", "/v1/scheduler/task/kill/ghost"),
    ]:
        answer = await client.request(method, path)
        assert answer.status_code == 400, path
        assert answer.json()["status"] == "Bad Request"
        first, *frames = message(answer).splitlines()
        assert first.startswith("java.lang.IllegalArgumentException: ") and "'ghost' not found" in first
        assert frames and all(frame.startswith("\tat ") for frame in frames)
    get = await client.get("/v1/scheduler/job/ghost")
    assert message(get).splitlines()[0] == (
        "java.lang.IllegalArgumentException: requirement failed: Job 'ghost' not found"
    )


async def test_an_invalid_name_is_refused_with_the_requirement_trace(client: httpx.AsyncClient):
    answer = await client.post("/v1/scheduler/iso8601", json={"name": "my job#1", "schedule": FUTURE})
    assert answer.status_code == 400
    assert message(answer).splitlines()[0] == (
        "java.lang.IllegalArgumentException: requirement failed: "
        "the job's name is invalid. Allowed names: '([\\w\\.-]+)'"
    )


async def test_an_unparseable_schedule_gets_the_wtf_bro_message_without_a_trace(client: httpx.AsyncClient):
    answer = await client.post("/v1/scheduler/iso8601", json={"name": "bad", "schedule": "every day"})
    assert answer.status_code == 400
    assert answer.json() == {
        "status": "Bad Request",
        "message": "Cannot parse schedule 'every day' (wtf bro)",
    }


async def test_a_start_before_1970_is_refused(client: httpx.AsyncClient):
    answer = await client.post(
        "/v1/scheduler/iso8601", json={"name": "old", "schedule": "R/1969-07-20T20:17:00Z/P1D"}
    )
    assert answer.status_code == 400
    assert (
        "Scheduled start date '1969-07-20T20:17:00.000Z' is before 1970!" in message(answer).splitlines()[0]
    )


async def test_uris_and_fetch_together_are_refused_on_create_only(client: httpx.AsyncClient):
    both = {"name": "both", "schedule": FUTURE, "uris": ["http://a/x"], "fetch": [{"uri": "http://a/y"}]}
    answer = await client.post("/v1/scheduler/iso8601", json=both)
    assert answer.status_code == 400
    assert (
        message(answer)
        .splitlines()[0]
        .endswith("Tried to add both uri (deprecated) and fetch parameters on both")
    )

    assert (
        await client.post("/v1/scheduler/iso8601", json={"name": "both", "schedule": FUTURE})
    ).status_code == 204
    await created(client, "both")
    # The update path only checks the schedule.
    assert (await client.post("/v1/scheduler/iso8601", json=both)).status_code == 204


@pytest.mark.parametrize(
    ("body", "exception"),
    [
        ({"command": "no name", "schedule": FUTURE}, "java.lang.NullPointerException"),
        ({"name": "e", "environmentVariables": [{"name": "A"}]}, "java.lang.NullPointerException"),
        ({"name": "n", "container": {"image": "x", "network": "bridge"}}, "java.util.NoSuchElementException"),
        ({"name": "t", "container": {"image": "x", "type": "rkt"}}, "java.util.NoSuchElementException"),
        ({"name": "f", "fetch": ["http://a/b"]}, "scala.MatchError"),
    ],
)
async def test_deserializer_failures_are_jetty_html_500_pages(
    client: httpx.AsyncClient, body: dict[str, Any], exception: str
):
    answer = await client.post("/v1/scheduler/iso8601", json=body)
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h2>HTTP ERROR 500</h2>" in answer.text
    assert f"<h3>Caused by:</h3><pre>{exception}" in answer.text


async def test_malformed_json_is_an_html_500(client: httpx.AsyncClient):
    answer = await client.post(
        "/v1/scheduler/iso8601", content=b"{name:", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 500 and "HTTP ERROR 500" in answer.text


async def test_a_dependent_job_with_empty_parents_is_a_500_api_result(client: httpx.AsyncClient):
    answer = await client.post("/v1/scheduler/dependency", json={"name": "orphan", "parents": []})
    assert answer.status_code == 500
    assert answer.json()["status"] == "Internal Server Error"
    assert message(answer).splitlines()[0] == "java.lang.Exception: Error, parent does not exist"


async def test_missing_parents_are_accepted_then_the_job_never_appears(client: httpx.AsyncClient):
    answer = await client.post("/v1/scheduler/dependency", json={"name": "lost", "parents": ["nobody"]})
    assert answer.status_code == 204
    await client.post("/v1/scheduler/iso8601", json={"name": "marker", "schedule": FUTURE})
    await created(client, "marker")  # the graph has been rebuilt since "lost" was stored

    names = [job["name"] for job in (await client.get("/v1/scheduler/jobs")).json()]
    assert names == ["marker"]
    assert (await client.get("/v1/scheduler/job/lost")).status_code == 400

    # Chronos reloads every job from its store: once the parent exists, the child shows up.
    await client.post("/v1/scheduler/iso8601", json={"name": "nobody", "schedule": FUTURE})
    child = await created(client, "lost")
    assert list(child)[-1] == "parents" and child["parents"] == ["nobody"]


async def test_search_matches_substrings_case_insensitively_with_limit_and_offset(client: httpx.AsyncClient):
    for index in range(12):
        await client.post(
            "/v1/scheduler/iso8601",
            json={
                "name": f"Train-{index:02d}",
                "command": f"python run.py --part {index}",
                "schedule": FUTURE,
            },
        )
    await client.post(
        "/v1/scheduler/iso8601",
        json={"name": "other", "command": "echo", "schedule": FUTURE, "description": "TRAINING data"},
    )
    await created(client, "other")

    default = (await client.get("/v1/scheduler/jobs/search", params={"name": "train"})).json()
    assert len(default) == 10  # the default limit
    rest = (await client.get("/v1/scheduler/jobs/search", params={"name": "TRAIN", "offset": 10})).json()
    assert {job["name"] for job in rest} == {"Train-10", "Train-11"}
    by_command = (await client.get("/v1/scheduler/jobs/search", params={"command": "PART 3"})).json()
    assert [job["name"] for job in by_command] == ["Train-03"]
    anywhere = (await client.get("/v1/scheduler/jobs/search", params={"any": "training", "limit": 50})).json()
    assert [job["name"] for job in anywhere] == ["other"]
    assert (await client.get("/v1/scheduler/jobs/search", params={"limit": "ten"})).status_code == 404


async def test_jobs_listing_fills_fetch_from_uris_but_the_single_job_stays_raw(client: httpx.AsyncClient):
    await client.post(
        "/v1/scheduler/iso8601", json={"name": "legacy", "schedule": FUTURE, "uris": ["http://h/a.tgz"]}
    )
    raw = await created(client, "legacy")
    listed = (await client.get("/v1/scheduler/jobs")).json()[0]
    assert raw["fetch"] == [] and raw["uris"] == ["http://h/a.tgz"]
    assert listed["fetch"] == [
        {"uri": "http://h/a.tgz", "executable": False, "cache": False, "extract": True}
    ]


async def test_leader_ping_graph_and_summary_have_their_documented_shapes(
    client: httpx.AsyncClient, cluster: ChronosCluster
):
    await client.post("/v1/scheduler/iso8601", json={"name": "root", "schedule": FUTURE})
    await created(client, "root")
    await client.post("/v1/scheduler/dependency", json={"name": "leaf", "parents": ["root"]})
    await created(client, "leaf")

    assert (await client.get("/v1/scheduler/leader")).json() == {"leader": cluster.chronos.participant_id}
    ping = await client.get("/ping")
    assert ping.text == "pong\n" and ping.headers["access-control-allow-origin"] == "*"
    assert "uvicorn" not in ping.headers.get("server", "")
    csv = (await client.get("/v1/scheduler/graph/csv")).text
    assert csv == "node,root,fresh,idle\nnode,leaf,fresh,idle\nlink,root,leaf\n"
    assert "->" in (await client.get("/v1/scheduler/graph/dot")).text
    summary = (await client.get("/v1/scheduler/jobs/summary")).json()
    assert summary == {
        "jobs": [
            {
                "name": "root",
                "status": "fresh",
                "state": "idle",
                "schedule": FUTURE,
                "parents": [],
                "disabled": False,
            },
            {
                "name": "leaf",
                "status": "fresh",
                "state": "idle",
                "schedule": "",
                "parents": ["root"],
                "disabled": False,
            },
        ]
    }


async def test_mark_success_answers_a_plain_sentence_and_counts(client: httpx.AsyncClient):
    await client.post("/v1/scheduler/iso8601", json={"name": "manual", "schedule": FUTURE})
    await created(client, "manual")

    answer = await client.put("/v1/scheduler/job/success/manual")
    unknown = await client.put("/v1/scheduler/job/success/nobody")

    assert (answer.status_code, answer.text) == (200, "marked job manual as successful: true")
    assert (unknown.status_code, unknown.text) == (200, "marked job nobody as successful: false")
    job = await created(client, "manual")
    assert job["successCount"] == 1 and job["lastSuccess"].endswith("Z")


async def test_a_post_overwrites_the_counts_and_delete_removes_the_job(client: httpx.AsyncClient):
    await client.post("/v1/scheduler/iso8601", json={"name": "gone", "schedule": FUTURE, "successCount": 7})
    assert (await created(client, "gone"))["successCount"] == 7

    assert (await client.delete("/v1/scheduler/job/gone")).status_code == 204
    assert (await client.get("/v1/scheduler/job/gone")).status_code == 400


async def test_deleting_a_scheduled_parent_turns_its_children_into_scheduled_jobs_losing_fields(
    client: httpx.AsyncClient,
):
    await client.post("/v1/scheduler/iso8601", json={"name": "p", "schedule": FUTURE})
    await created(client, "p")
    await client.post(
        "/v1/scheduler/dependency",
        json={
            "name": "c",
            "parents": ["p"],
            "description": "keeps?",
            "container": {"type": "MESOS", "image": "i"},
        },
    )
    await created(client, "c")

    await client.delete("/v1/scheduler/job/p")

    child = await created(client, "c")
    assert child["schedule"] == FUTURE and "parents" not in child
    assert child["description"] == "" and "container" not in child


async def test_gpus_exist_only_in_the_pr_810_build(tmp_path: Path):
    options = ChronosOptions(gpu_build=True, mesos_task_gpu=0)
    async with (
        standalone(tmp_path, options=options) as running,
        httpx.AsyncClient(base_url=running.chronos.url) as http,
    ):
        await http.post("/v1/scheduler/iso8601", json={"name": "g", "schedule": FUTURE, "gpus": 1.5})
        job = await created(http, "g")
    assert list(job)[16:18] == ["mem", "gpus"] and job["gpus"] == 1  # asInt truncates


def test_enable_features_is_validated_like_the_pr_810_flag():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Unknown features specified: gpu. Available features are: "
            "gpu_resources - Enable support for GPU in Chronos"
        ),
    ):
        ChronosOptions(gpu_build=True, enable_features=("gpu",))
    with pytest.raises(ValueError):
        ChronosOptions(enable_features=("gpu_resources",))


async def test_http_credentials_guard_every_path_with_basic_auth(tmp_path: Path):
    options = ChronosOptions(http_credentials="chronos:s3cret")
    async with (
        standalone(tmp_path, options=options) as running,
        httpx.AsyncClient(base_url=running.chronos.url) as http,
    ):
        refused = await http.get("/ping")
        wrong = await http.get("/ping", auth=("chronos", "nope"))
        token = base64.b64encode(b"chronos:s3cret").decode()
        allowed = await http.get("/ping", headers={"Authorization": f"Basic {token}"})
    assert refused.status_code == 401 and wrong.status_code == 401
    assert refused.headers["www-authenticate"] == 'basic realm="Mesosphere"'
    assert allowed.text == "pong\n"


async def test_unknown_paths_are_jetty_404_pages(client: httpx.AsyncClient):
    answer = await client.get("/scheduler/jobs")  # the 2.x prefix is gone in 3.x
    assert answer.status_code == 404 and "HTTP ERROR 404" in answer.text
    assert json.loads((await client.get("/v1/scheduler/jobs")).text) == []


async def test_a_body_declared_as_anything_but_json_is_an_empty_415(client: httpx.AsyncClient):
    form = await client.post(
        "/v1/scheduler/iso8601",
        content=b'{"name":"x"}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (form.status_code, form.content) == (415, b"")
    await client.post("/v1/scheduler/iso8601", json={"name": "x", "schedule": FUTURE})
    await created(client, "x")
    # A bodyless run without any Content-Type is the documented curl usage.
    assert (await client.put("/v1/scheduler/job/x")).status_code == 204


async def test_a_middleware_given_by_the_cluster_wraps_everything_the_instance_serves(tmp_path: Path):
    from starlette.responses import PlainTextResponse
    from starlette.types import ASGIApp, Receive, Scope, Send

    def outage(app: ASGIApp) -> ASGIApp:
        async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse("injected", status_code=503)(scope, receive, send)

        return refuse

    async with standalone(tmp_path) as running:
        running.instances.append(ChronosInstance(running.master, running.clock, middleware=outage))
        await running.instances[-1].start()
        async with httpx.AsyncClient(base_url=running.instances[-1].url) as http:
            answer = await http.get("/ping")
    assert (answer.status_code, answer.text) == (503, "injected")


async def test_jackson_coercions_apply_a_json_null_name_is_the_text_null(client: httpx.AsyncClient):
    body = {"name": None, "schedule": FUTURE, "retries": "5", "mem": "2048", "disabled": "true", "cpus": -1}
    assert (await client.post("/v1/scheduler/iso8601", json=body)).status_code == 204

    job = await created(client, "null")

    assert (job["retries"], job["mem"], job["disabled"]) == (5, 2048.0, True)
    assert job["cpus"] == -1.0  # stored as sent; only launches fall back to the default
