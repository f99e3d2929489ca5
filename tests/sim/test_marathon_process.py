"""Marathon process edges: the standby's LeaderProxyFilter when the leader misbehaves at the
TCP level, leadership news reaching a stopped process, and a slow event subscriber."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from starlette.responses import PlainTextResponse

from simcluster import SimCluster
from simcluster.clock import SimClock
from simcluster.config import SimConfig
from simcluster.marathon.events import _QUEUE_LIMIT, EventBus
from simcluster.marathon.proxy import LeaderProxyMiddleware

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


async def test_leadership_news_reaching_a_stopped_instance_does_not_make_it_lead_again() -> None:
    # The latch's watch fires from kazoo's thread while the cluster stops (another instance
    # left the election): the stopping instance must not start a scheduler again.
    async with SimCluster(SimConfig(agents=1, marathon_instances=1, chronos_instances=0)) as sim:
        instance = sim.marathons[0]
        await sim.kill_marathon(0)
        await asyncio.to_thread(instance._leader_changed_threadsafe, instance.host_port, True)
        await asyncio.sleep(0.1)
        assert not instance.is_leader
        assert not [f for f in sim.master.frameworks.values() if f.active]


@pytest.mark.parametrize("then_close", [False, True])
async def test_an_event_subscriber_too_slow_to_keep_up_is_dropped_and_its_stream_ends(
    then_close: bool,
) -> None:
    bus = EventBus(SimClock())
    stream = bus.stream("127.0.0.1", set())
    assert b"event_stream_attached" in await anext(stream)
    for number in range(_QUEUE_LIMIT + 1):
        bus.publish("api_post_event", {"number": number})
    if then_close:
        bus.close_all()
    rest = await asyncio.wait_for(_drain(stream), 2.0)
    assert len(rest) <= _QUEUE_LIMIT


async def _drain(stream: AsyncIterator[bytes]) -> list[bytes]:
    return [frame async for frame in stream]
