"""Marathon's answers become our errors: a sentence of ours, never its raw body."""

import asyncio

import httpx
import pytest

from gateway.discovery import StaticLeaderSource
from gateway.errors import Conflict, InvalidInput, UpstreamError, UpstreamUnavailable
from gateway.upstreams.marathon import MarathonClient
from gateway.upstreams.upstream import UpstreamClient


def _create_answered_with(response: httpx.Response):
    async def main():
        transport = httpx.MockTransport(lambda request: response)
        async with httpx.AsyncClient(transport=transport) as http:
            leaders = StaticLeaderSource({"marathon": "http://marathon.test:8080"})
            client = MarathonClient(UpstreamClient("marathon", http, leaders))
            return await client.create_app({"id": "/gateway/abc"})

    return asyncio.run(main())


def test_a_validation_failure_names_marathons_paths():
    body = {"message": "Object is not valid", "details": [
        {"path": "/container/docker/parameters", "errors": ["must be empty"]},
        {"path": "/", "errors": ["GPU resources only work with the Mesos containerizer"]}]}
    with pytest.raises(InvalidInput) as caught:
        _create_answered_with(httpx.Response(422, json=body))
    assert caught.value.detail == "Marathon refused app /gateway/abc: Object is not valid."
    assert caught.value.extra["errors"] == [
        {"field": "marathon/container/docker/parameters", "message": "must be empty"},
        {"field": "marathon/", "message": "GPU resources only work with the Mesos containerizer"}]


def test_an_existing_app_is_a_conflict():
    with pytest.raises(Conflict):
        _create_answered_with(httpx.Response(409, json={
            "message": "An app with id [/gateway/abc] already exists."}))


def test_too_many_running_deployments_is_a_passing_unavailability():
    with pytest.raises(UpstreamUnavailable, match="too many deployments"):
        _create_answered_with(httpx.Response(403, json={
            "message": "Max number (100) of running deployments is achieved."}))


def test_refused_credentials_and_html_errors_do_not_leak_the_body():
    with pytest.raises(UpstreamError, match="credentials"):
        _create_answered_with(httpx.Response(401, text="<html>Jetty</html>"))
    with pytest.raises(UpstreamError) as caught:
        _create_answered_with(httpx.Response(500, text="<html>java.lang.NullPointer</html>"))
    assert "NullPointer" not in caught.value.detail
    assert caught.value.detail == "Marathon failed on app /gateway/abc (HTTP 500)."


def _client_call(handler, call):
    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            leaders = StaticLeaderSource({"marathon": "http://marathon.test:8080"})
            client = MarathonClient(UpstreamClient("marathon", http, leaders, leader_wait=0.1))
            return await call(client)

    return asyncio.run(main())


def test_deleting_an_app_that_is_already_gone_succeeds():
    # After a leader change the repeated DELETE finds nothing: the app is gone, as asked.
    answer = _client_call(lambda request: httpx.Response(404, json={"message": "App '/x' does not exist"}),
                          lambda client: client.delete_app("/gateway/x"))
    assert answer is None


def test_a_restart_whose_answer_was_lost_is_not_sent_again():
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        raise httpx.ReadError("connection reset after the request was sent", request=request)

    with pytest.raises(UpstreamUnavailable):
        _client_call(handler, lambda client: client.restart_app("/gateway/x"))
    assert sent == ["/v2/apps/gateway/x/restart"]


def test_a_refusal_with_odd_details_is_still_a_clean_problem():
    with pytest.raises(InvalidInput) as caught:
        _create_answered_with(httpx.Response(422, json={"message": "Object is not valid",
                                                        "details": ["not a dict", {"path": "/id",
                                                                    "errors": ["bad"]}]}))
    assert caught.value.extra["errors"] == [{"field": "marathon/id", "message": "bad"}]
