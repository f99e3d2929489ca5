"""Refusals speak the user's language: what a field expects, where a body stops being JSON, which
name was probably meant, and a ``type`` URI that leads to the gateway's own explanation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from gateway.devissuer import DEMO_GROUP
from tests.support.deployments_harness import CPU_BODY, Harness, harness_for


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield from harness_for()


def _messages(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_a_short_notebook_password_is_refused_in_characters_not_pydantic_items(harness):
    response = harness.deploy(body={**CPU_BODY, "service": "jupyter", "jupyter_password": "short"})
    assert _messages(response)["jupyter_password"] == "must be at least 9 characters long"
    assert "items" not in response.text and "after validation" not in response.text


def test_messages_carry_no_library_prefix_and_no_regular_expression(harness):
    response = harness.deploy(body={"module": "Image_Classification", "image": "NOT AN IMAGE",
                                    "storage": {"rclone_url": "http://nc.example.org",
                                                "rclone_user": "u", "rclone_password": "p"}})
    messages = _messages(response)
    assert messages["module"].startswith("must be a module name: lower-case letters")
    assert messages["image"] == "not a valid Docker image reference"
    assert messages["storage.rclone_url"] == "must be an https:// URL without spaces"
    assert "Value error" not in response.text
    assert not re.search(r"\^|\$'|\\S|\{0,", response.text)


def test_a_json_syntax_error_says_the_body_is_not_json_and_where(harness):
    response = harness.call("POST", "/v1/deployments", headers={"Content-Type": "application/json"},
                            content='{"module": "image-classification-tf",\n "hardware": }')
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == ("The request body is not valid JSON: Expecting value at line 2, "
                                 "column 14.")
    assert [error["field"] for error in problem["errors"]] == ["body"]


def test_a_misspelt_field_gets_the_name_that_was_probably_meant(harness):
    response = harness.deploy(body={"module": "image-classification-tf", "hardwre": {"cpus": 1}})
    assert _messages(response)["hardwre"] == "is not a field here; did you mean `hardware`?"
    nested = harness.deploy(body={"module": "image-classification-tf", "hardware": {"gpu": 1}})
    assert _messages(nested)["hardware.gpu"] == "is not a field here; did you mean `gpus`?"


def test_a_misspelt_module_gets_the_closest_catalog_name_and_where_to_list_them(harness):
    response = harness.deploy(body={**CPU_BODY, "module": "image-clasification-tf"})
    detail = response.json()["detail"]
    assert response.status_code == 422
    assert "Did you mean 'image-classification-tf'?" in detail and "GET /v1/modules" in detail
    assert harness.call("GET", "/v1/modules/image-clasification").json()["detail"] == detail.replace(
        "'image-clasification-tf'", "'image-clasification'")


def test_environment_values_written_as_numbers_or_booleans_are_taken_as_their_text(harness):
    response = harness.deploy(body={**CPU_BODY, "env": {"EPOCHS": 10, "RATE": 0.5, "DEBUG": True}})
    assert response.status_code == 202, response.text
    (app,) = harness.cluster.apps.values()
    assert {name: app["env"][name] for name in ("EPOCHS", "RATE", "DEBUG")} == {
        "EPOCHS": "10", "RATE": "0.5", "DEBUG": "true"}
    refused = harness.deploy(body={**CPU_BODY, "env": {"DATA": ["a", "b"]}})
    assert _messages(refused)["env.DATA"] == "must be text"


def test_every_problem_type_is_a_page_the_gateway_serves(harness):
    answers = [harness.deploy(body={"hardwre": 1}),  # 422
               harness.call("GET", "/v1/deployments/nope"),  # 404
               harness.client.get("/v1/deployments"),  # 401 without a token
               harness.client.get("/v1/deployments", headers={"Authorization": "Bearer x"})]
    for response in answers:
        problem = response.json()
        assert problem["type"] == f"/problems/{problem['code']}", problem
        page = harness.client.get(problem["type"])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"<code>{problem['code']}</code>" in page.text and "What to do" in page.text
    assert "example.org/problems" not in json.dumps([r.json() for r in answers])
    assert harness.client.get("/problems/no_such_problem").status_code == 404


def test_an_expired_token_is_explained_with_how_to_get_a_new_one(harness):
    expired = harness.issuer.mint("alice-dev-subject", groups=(DEMO_GROUP,), lifetime=-3600)
    response = harness.client.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "has expired" in response.json()["detail"]
    assert "oidc-token" in response.json()["detail"]


def test_logs_of_a_deployment_without_any_task_yet_are_a_conflict_not_a_missing_deployment(harness):
    deployment = harness.deploy().json()
    harness.cluster.stop_task(f"/gateway/{deployment['id']}")
    harness.cluster.completed.clear()  # Mesos has never run a task of it
    response = harness.call("GET", f"/v1/deployments/{deployment['id']}/logs")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("This deployment has not started a task yet")

