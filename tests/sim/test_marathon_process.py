"""A standby's LeaderProxyFilter when the leader misbehaves at the TCP level."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
import pytest
from starlette.responses import PlainTextResponse

from gateway.sim.config import SimConfig
from gateway.sim.marathon.proxy import LeaderProxyMiddleware

pytestmark = pytest.mark.anyio


async def test_a_leader_dropping_the_connection_gives_a_jetty_502_not_a_traceback() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    leader = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    leader_port = leader.sockets[0].getsockname()[1]
    standby = SimpleNamespace(
        is_leader=False, config=SimConfig(), host_port="127.0.0.1:1",
        leader_host_port=lambda: f"127.0.0.1:{leader_port}")
    proxy = LeaderProxyMiddleware(PlainTextResponse("served locally"), standby)  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                     base_url="http://standby") as client:
            response = await client.get("/v2/apps")
    finally:
        await proxy.aclose()
        leader.close()
        await leader.wait_closed()
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "Failed to successfully establish a connection to the leader." in response.text
