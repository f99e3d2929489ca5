"""Shutting down: a followed log ends cleanly with a note, requests in flight finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gateway.api.log_streams import DRAINING_NOTE, log_response
from gateway.sandbox_logs import TaskLog
from gateway.serving import EmbeddedServer


def _app(draining: asyncio.Event) -> Starlette:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"epoch done\n"
            await asyncio.sleep(0.05)

    async def follow(request: Request) -> Response:
        return log_response(TaskLog("task-1", b"head\n", endless()), task_id_header="X-Task-Id",
                            draining=draining)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(1.0)
        return PlainTextResponse("finished")

    return Starlette(routes=[Route("/follow", follow), Route("/slow", slow)])


def test_stopping_the_server_ends_a_followed_log_cleanly_and_lets_a_slow_request_finish():
    async def scenario() -> tuple[bytes, str, float]:
        draining = asyncio.Event()
        server = EmbeddedServer(_app(draining), "127.0.0.1", on_draining=draining.set,
                                shutdown_timeout=10)
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            slow = asyncio.ensure_future(client.get("/slow"))
            received = b""
            async with client.stream("GET", "/follow") as response:
                stopping = None
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if stopping is None and received.count(b"epoch done") >= 3:
                        started = time.monotonic()
                        stopping = asyncio.ensure_future(server.stop())
            await stopping
            return received, (await slow).text, time.monotonic() - started

    received, slow_answer, took = asyncio.run(scenario())

    assert received.startswith(b"head\nepoch done\n")
    assert received.endswith(DRAINING_NOTE)
    assert slow_answer == "finished"
    assert took < 5  # not the 10 s grace timeout: nothing was left hanging
