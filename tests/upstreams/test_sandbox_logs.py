"""Task output from Mesos sandboxes: the last lines, and following what the task writes next."""

import asyncio

import httpx

from gateway.discovery import StaticLeaderSource
from gateway.sandbox_logs import follow, last_lines, tail
from gateway.upstreams.mesos import MesosClient
from gateway.upstreams.upstream import UpstreamClient
from tests.support.fake_marathon import MESOS, FakeCluster


def test_last_lines_counts_lines_not_the_trailing_newline():
    assert last_lines(b"a\nb\nc\n", 2) == b"b\nc\n"
    assert last_lines(b"a\nb\nc", 2) == b"b\nc"
    assert last_lines(b"a\nb\n", 5) == b"a\nb\n"
    assert last_lines(b"a\nb\n", 0) == b""


async def _follow_scenario() -> tuple[bytes, list[bytes]]:
    cluster = FakeCluster()
    app = {"id": "/gateway/abc", "labels": {}, "portDefinitions": []}
    cluster._create(app)
    task_id = app["tasks"][0]["id"]
    path = f"/sandbox/{task_id}/stdout"
    cluster.files[path] = b"old 1\nold 2\n"
    running = True

    async def still_running() -> bool:
        return running

    async with httpx.AsyncClient(transport=cluster.transport()) as http:
        leaders = StaticLeaderSource({"mesos": MESOS})
        mesos = MesosClient(UpstreamClient("mesos", http, leaders), http)
        sandbox = await mesos.sandbox(task_id)
        head, size = await tail(mesos, sandbox, "stdout", 1)
        stream = follow(mesos, sandbox, "stdout", size, still_running=still_running,
                        poll_seconds=0.01)
        cluster.files[path] += b"new 1\n"
        chunks = [await anext(stream)]
        cluster.files[path] += b"new 2\n"
        running = False
        chunks += [chunk async for chunk in stream]
    return head, chunks


def test_following_yields_what_the_task_writes_next_and_stops_when_it_ends():
    head, chunks = asyncio.run(_follow_scenario())
    assert head == b"old 2\n"
    assert b"".join(chunks) == b"new 1\nnew 2\n"


async def _tail_of_big_file() -> bytes:
    cluster = FakeCluster()
    app = {"id": "/gateway/big", "labels": {}, "portDefinitions": []}
    cluster._create(app)
    task_id = app["tasks"][0]["id"]
    cluster.files[f"/sandbox/{task_id}/stdout"] = b"".join(
        f"{n:07d}\n".encode() for n in range(300_000))  # 2.4 MB
    async with httpx.AsyncClient(transport=cluster.transport()) as http:
        mesos = MesosClient(UpstreamClient("mesos", http, StaticLeaderSource({"mesos": MESOS})),
                            http)
        data, size = await tail(mesos, await mesos.sandbox(task_id), "stdout", 2)
    assert size == 2_400_000
    return data


def test_a_tail_of_a_big_file_reads_only_its_end():
    assert asyncio.run(_tail_of_big_file()) == b"0299998\n0299999\n"
