"""Marathon refuses bad apps with its own status codes, messages and paths."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

MESOS_IMAGE = {"type": "MESOS", "docker": {"image": "deephdc/deep-oc-demo"}}


async def test_gpus_with_the_docker_containerizer_are_refused_at_the_root_path(
    marathon: httpx.AsyncClient,
) -> None:
    app = {"id": "/gpu-docker", "cmd": "x", "gpus": 1,
           "container": {"type": "DOCKER", "docker": {"image": "a"}}}
    response = await marathon.post("/v2/apps", json=app)
    assert response.status_code == 422
    assert response.json() == {
        "message": "Object is not valid",
        "details": [{"path": "/", "errors": ["GPU resources only work with the Mesos containerizer"]}],
    }


async def test_docker_only_fields_must_be_empty_under_the_mesos_containerizer(
    marathon: httpx.AsyncClient,
) -> None:
    container = {"type": "MESOS", "docker": {
        "image": "a", "parameters": [{"key": "shm-size", "value": "1g"}],
        "portMappings": [{"containerPort": 80}], "network": "BRIDGE"}}
    response = await marathon.post("/v2/apps", json={"id": "/ucr", "cmd": "x",
                                                     "container": container})
    assert response.status_code == 422
    details = {d["path"]: d["errors"] for d in response.json()["details"]}
    assert details == {
        "/container/docker/network": ["must be empty"],
        "/container/docker/parameters": ["must be empty"],
        "/container/docker/portMappings": ["must be empty"],
    }


async def test_an_empty_parameters_list_is_accepted_under_the_mesos_containerizer(
    marathon: httpx.AsyncClient,
) -> None:
    container = {"type": "MESOS", "docker": {"image": "a", "parameters": [],
                                             "privileged": True}}
    response = await marathon.post("/v2/apps", json={"id": "/ucr-ok", "cmd": "x",
                                                     "container": container})
    assert response.status_code == 201
    assert "privileged" not in response.json()["container"]["docker"]


async def test_fractional_gpus_fail_json_reading(marathon: httpx.AsyncClient) -> None:
    response = await marathon.post("/v2/apps", json={"id": "/half", "cmd": "x", "gpus": 0.5})
    assert response.status_code == 422
    assert response.json() == {
        "message": "Invalid JSON",
        "details": [{"path": "/gpus", "errors": ["error.expected.int"]}],
    }


async def test_an_invalid_id_and_a_missing_command_are_both_reported(
    marathon: httpx.AsyncClient,
) -> None:
    response = await marathon.post("/v2/apps", json={"id": "/My_App"})
    assert response.status_code == 422
    details = {d["path"]: d["errors"] for d in response.json()["details"]}
    assert details["/id"][0].startswith("must fully match regular expression '^(([a-z0-9]")
    assert details["/"] == [
        "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
    ]


async def test_upgrade_strategy_capacity_above_one_is_refused(marathon: httpx.AsyncClient) -> None:
    app = {"id": "/up", "cmd": "x", "upgradeStrategy": {"minimumHealthCapacity": 1.5}}
    response = await marathon.post("/v2/apps", json=app)
    assert response.json()["details"] == [
        {"path": "/upgradeStrategy/minimumHealthCapacity", "errors": ["is greater than 1"]}
    ]


async def test_health_check_port_index_must_address_a_port(marathon: httpx.AsyncClient) -> None:
    app = {"id": "/hc", "cmd": "x", "portDefinitions": [{"port": 0}],
           "healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 3}]}
    response = await marathon.post("/v2/apps", json=app)
    assert response.status_code == 422
    assert response.json()["details"] == [{
        "path": "/healthChecks(0)",
        "errors": ["Health check port indices must address an element of the ports array "
                   "or container port mappings."],
    }]


async def test_malformed_json_is_a_400_with_a_string_detail(marathon: httpx.AsyncClient) -> None:
    response = await marathon.post(
        "/v2/apps", content=b'{"id": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid JSON"
    assert isinstance(body["details"], str)


async def test_an_unknown_app_is_a_404_naming_it(marathon: httpx.AsyncClient) -> None:
    response = await marathon.get("/v2/apps/ml/missing")
    assert response.status_code == 404
    assert response.json() == {"message": "App '/ml/missing' does not exist"}


async def test_creating_an_existing_app_is_a_409(marathon: httpx.AsyncClient) -> None:
    app = {"id": "/twice", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16}
    assert (await marathon.post("/v2/apps", json=app)).status_code == 201
    response = await marathon.post("/v2/apps", json=app)
    assert response.status_code == 409
    assert response.json() == {"message": "An app with id [/twice] already exists."}


async def test_an_unparsable_label_selector_is_a_422(marathon: httpx.AsyncClient) -> None:
    response = await marathon.get("/v2/apps", params={"label": "a in b"})
    assert response.status_code == 422
    assert response.json() == {"message": "Can not parse label selector a in b"}


@pytest.mark.parametrize(
    "body",
    [
        [],
        "app",
        {"id": 5},
        {"id": "/x", "cmd": "x", "upgradeStrategy": {"minimumHealthCapacity": "all"}},
        {"id": "/x", "cmd": "x", "constraints": [["hostname", 1]]},
        {"id": "/x", "cmd": "x", "healthChecks": [{"portIndex": "zero"}]},
        {"id": "/x", "cmd": "x", "portDefinitions": ["http"]},
        {"id": "/x", "cmd": "x", "labels": {"a": 1}},
        {"id": "/x", "cmd": "x", "container": {"type": "RKT"}},
        {"id": "/x", "cmd": "x", "container": {"type": "MESOS", "docker": {}}},
        {"id": "/x", "cmd": "x", "networks": [{"mode": "overlay"}]},
        {"id": "/x", "cmd": "x", "fetch": "http://example.org"},
        {"id": "/x", "cmd": "x", "unreachableStrategy": {"inactiveAfterSeconds": "1"}},
    ],
)
async def test_odd_bodies_get_marathon_shaped_client_errors(
    marathon: httpx.AsyncClient, body: object
) -> None:
    response = await marathon.post("/v2/apps", json=body)
    assert response.status_code in (400, 422)
    assert response.json()["message"] in ("Invalid JSON", "Object is not valid")


async def test_unknown_paths_and_methods_answer_json_like_jersey(
    marathon: httpx.AsyncClient,
) -> None:
    missing = await marathon.get("/v2/nothing-here")
    assert (missing.status_code, missing.json()) == (404, {"message": "HTTP 404 Not Found"})
    wrong = await marathon.delete("/v2/queue")
    assert (wrong.status_code, wrong.json()) == (405, {"message": "HTTP 405 Method Not Allowed"})
