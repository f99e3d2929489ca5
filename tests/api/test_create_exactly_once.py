"""A create whose answer Marathon lost is settled by the gateway, not handed to the user.

The gateway chose the app's id, so it sends the create again: a 409 over an app that carries
every label it sent is its own earlier attempt, and the user gets that one deployment; any other
app under the id is a clash the user is told of, and nothing of it is touched.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.models import DeploymentRequest
from gateway.translation import deployments as specs
from tests.support.deployments_harness import CPU_BODY, Harness, harness_for

LOST = [httpx.ReadTimeout("timed out"), httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response")]


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield from harness_for()


@pytest.mark.parametrize("key", [None, "landed-1"], ids=["without a key", "with a key"])
@pytest.mark.parametrize("lost", LOST, ids=lambda lost: type(lost).__name__)
def test_a_create_that_landed_but_lost_its_answer_is_the_one_deployment(harness, lost, key):
    harness.cluster.lost_post_answers = [lost]
    headers = {"Idempotency-Key": key} if key else {}
    response = harness.deploy(body={**CPU_BODY, "description": "landed"}, headers=headers)
    assert response.status_code == 202, response.text
    made = response.json()
    [app_id] = harness.cluster.apps
    assert app_id.endswith("/" + made["id"])
    assert harness.cluster.posts == 2, "the second POST met the first one's app"
    assert "idempotent-replayed" not in response.headers  # this request made it
    assert made["description"] == "landed" and made["status"] == "running"
    listed = harness.call("GET", "/v1/deployments").json()["items"]
    assert [d["id"] for d in listed] == [made["id"]]


@pytest.mark.parametrize("first_lost", [False, True], ids=["at once", "on the retry"])
def test_a_409_for_an_app_that_is_not_this_requests_is_a_conflict_never_a_success(harness,
                                                                                 first_lost):
    theirs: dict[str, Any] = {}

    def take_its_id(app: dict[str, Any]) -> None:
        # The same app in all but its owner: only the owner label tells it is not ours.
        theirs.update(app, labels={**app["labels"], specs.OWNER_LABEL: "someone-else"},
                      tasks=[], tasksRunning=0)
        harness.cluster.apps[app["id"]] = theirs
        if first_lost:
            raise httpx.ReadError("connection reset by peer")

    harness.cluster.before_next_post = take_its_id
    response = harness.deploy()
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "already exists" in response.json()["detail"]
    assert harness.cluster.posts == (2 if first_lost else 1)
    assert list(harness.cluster.apps.values()) == [theirs], "the other app is left alone"
    assert harness.call("GET", "/v1/deployments").json()["items"] == []


def test_a_409_for_the_app_of_an_earlier_request_with_the_same_key_replays_it(harness):
    # Another replica's request with the same key and body made the app between this one's
    # replay check and its POST: that app is returned as a replay, not as this one's creation.
    def made_by_the_other_request(app: dict[str, Any]) -> None:
        other_key = secrets.token_bytes(16)
        labels = {**app["labels"],
                  specs.SECRETS_LABEL: specs.secrets_digest(DeploymentRequest(), other_key)}
        harness.cluster.apps[app["id"]] = {**app, "labels": labels, "tasks": [],
                                           "tasksRunning": 0}

    harness.cluster.before_next_post = made_by_the_other_request
    response = harness.deploy(headers={"Idempotency-Key": "raced-1"})
    assert response.status_code == 202, response.text
    assert response.headers["idempotent-replayed"] == "true"
    assert len(harness.cluster.apps) == 1 and harness.cluster.posts == 1
