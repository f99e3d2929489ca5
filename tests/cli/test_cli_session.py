"""The CLI's session follows paged lists to the end and turns problems into exit codes."""

import httpx
import pytest

from gateway.cli.errors import ClientError, Exit
from gateway.cli.session import Session


def _session(handler) -> Session:
    return Session(httpx.Client(base_url="http://gateway.test", transport=httpx.MockTransport(handler)))


def test_a_paged_list_is_followed_through_every_cursor():
    pages = {None: {"items": [1, 2], "next": "b"}, "b": {"items": [3], "next": "c"},
             "c": {"items": [4], "next": None}}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    assert _session(handler).all_items("/v1/jobs", {"all": "true"}) == [1, 2, 3, 4]
    assert seen == [{"all": "true"}, {"all": "true", "cursor": "b"}, {"all": "true", "cursor": "c"}]


def test_a_problem_becomes_the_exit_code_of_its_class_with_the_fields_named():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"title": "Invalid input", "detail": "bad schedule",
                                         "errors": [{"field": "schedule", "message": "R0"}]})

    with pytest.raises(ClientError) as caught:
        _session(handler).json("POST", "/v1/jobs", json={})
    assert caught.value.code == Exit.INVALID
    assert caught.value.details == ["schedule: R0"]
