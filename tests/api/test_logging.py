"""Log lines: JSON for `gateway serve`, text for `gateway dev`, a request id on each, audit lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
import pytest

from gateway.access_log import NAME as ACCESS
from gateway.access_log import AccessEntry, log_access
from gateway.audit import audited
from gateway.errors import NotFound
from gateway.identity import Identity
from gateway.log_setup import configure_logging, json_formatter
from gateway.request_context import (
    RequestContextMiddleware,
    current_request_id,
    request_id_from,
    send_request_id,
)

ALICE = Identity(subject="alice-sub", issuer="https://iam.example.org/", name="Alice")


@pytest.fixture
def captured():
    """A buffer for configure_logging's handler; the root logger is restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield io.StringIO()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_a_sane_request_id_is_kept_and_anything_else_is_replaced():
    assert request_id_from("Z2VhdGV3YXktMTIz@AAAB") == "Z2VhdGV3YXktMTIz@AAAB"
    for bad in (None, "", "short", "x" * 200, "two words here", "id\nforged log line"):
        made = request_id_from(bad)
        assert made != bad and len(made) == 32


def test_json_lines_carry_level_logger_message_request_id_and_extra_fields(captured):
    configure_logging("json", stream=captured)

    async def handle() -> None:
        async def app(scope, receive, send):
            logging.getLogger("gateway.test").warning("upstream slow", extra={"scheduler": "marathon"})
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def receive():
            return {"type": "http.request"}

        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/v1/me", "query_string": b"a=1",
                 "headers": [(b"x-request-id", b"req-from-apache-1")], "client": ("10.0.0.9", 5)}
        await RequestContextMiddleware(app)(scope, receive, send)
        assert (b"x-request-id", b"req-from-apache-1") in sent[0]["headers"]

    asyncio.run(handle())
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]

    warning, access = lines
    assert warning["level"] == "WARNING" and warning["logger"] == "gateway.test"
    assert warning["message"] == "upstream slow" and warning["scheduler"] == "marathon"
    assert warning["request_id"] == "req-from-apache-1" and "time" in warning
    assert access["logger"] == "gateway.access" and access["status"] == 204
    assert access["path"] == "/v1/me" and access["request_id"] == "req-from-apache-1"
    assert "a=1" not in json.dumps(access)


def test_a_batched_access_line_is_the_line_python_json_logger_writes_for_its_record(captured):
    """gateway serve's batch writes access lines without a record (gateway/access_log.py):
    the same object, key for key and in the same order, as the record's line."""
    handler = configure_logging("json", stream=captured, batched=True)
    entry = AccessEntry(1764547200.25, "GET", "/v1/deployments", 200, "10.0.0.9", 0.0004,
                        "req-from-apache-1")
    log_access("GET", "/v1/deployments", 200, "10.0.0.9", 0.0004, "req-from-apache-1")
    handler.flush()
    [written] = captured.getvalue().splitlines()
    record = logging.getLogger(ACCESS).makeRecord(
        ACCESS, logging.INFO, "", 0, "%s", (entry.message,), None, extra=entry.fields())
    record.created = entry.created
    assert list(json.loads(handler.format(record)).items()) == list(
        json.loads(json_formatter().access_line(entry)).items())
    assert list(json.loads(written)) == list(json.loads(handler.format(record)))


def test_the_access_level_silences_batched_access_lines_too(captured):
    handler = configure_logging("json", stream=captured, batched=True)
    logging.getLogger(ACCESS).setLevel(logging.WARNING)
    try:
        log_access("GET", "/v1/deployments", 200, None, 0.001, "req-from-apache-1")
        handler.flush()
    finally:
        logging.getLogger(ACCESS).setLevel(logging.NOTSET)
    assert captured.getvalue() == ""


def test_text_lines_are_for_people(captured):
    configure_logging("text", stream=captured)

    logging.getLogger("gateway.test").warning("no leader for %s", "chronos")

    line = captured.getvalue().strip()
    assert "WARNING" in line and "gateway.test" in line and line.endswith("no leader for chronos")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_upstream_calls_carry_the_request_id_of_the_request_being_handled():
    seen = []

    async def call() -> None:
        transport = httpx.MockTransport(lambda request: seen.append(request.headers.get(
            "x-request-id")) or httpx.Response(200))
        async with httpx.AsyncClient(transport=transport,
                                     event_hooks={"request": [send_request_id]}) as http:
            await http.get("http://marathon.test/v2/apps")

            async def app(scope, receive, send):
                assert current_request_id() == "abcdef123456"
                await http.get("http://marathon.test/v2/apps")
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b""})

            async def noop(*_):
                return {"type": "http.request"}

            await RequestContextMiddleware(app)(
                {"type": "http", "method": "GET", "path": "/",
                 "headers": [(b"x-request-id", b"abcdef123456")]}, noop, noop)

    asyncio.run(call())
    assert seen == [None, "abcdef123456"]


def test_an_audit_line_names_who_did_what_to_which_upstream_object_and_the_result(captured):
    configure_logging("json", stream=captured)

    async def act() -> None:
        async with audited("deployment.create", ALICE, "3f9c") as entry:
            entry.upstream_id = "/gateway/3f9c"
        with pytest.raises(NotFound):
            async with audited("job.kill", ALICE, "train", upstream_id="gw-x-train"):
                raise NotFound("No such job.")

    asyncio.run(act())
    created, refused = (json.loads(line) for line in captured.getvalue().splitlines())

    assert created["logger"] == "gateway.audit" and created["audit"] is True
    assert created["action"] == "deployment.create" and created["target"] == "3f9c"
    assert created["upstream_id"] == "/gateway/3f9c" and created["result"] == "ok"
    assert created["owner"] == ALICE.owner and created["actor"] == "Alice"
    assert refused["action"] == "job.kill" and refused["result"] == "not_found"


def test_uvicorns_coloured_copy_of_its_message_stays_out_of_json_lines(captured):
    configure_logging("json", stream=captured)

    logging.getLogger("gateway.test.server").info("Started server process [%d]", 7,
                                                  extra={"color_message": "\x1b[36m%d\x1b[0m"})

    line = json.loads(captured.getvalue())
    assert line["message"] == "Started server process [7]" and "color_message" not in line
