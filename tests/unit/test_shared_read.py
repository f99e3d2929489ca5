"""Chronos listings shared by every reader: one read in flight, reused briefly, never reused
across a change the gateway made."""

from __future__ import annotations

import asyncio

import pytest

from gateway.upstreams.shared_read import SharedRead


class Upstream:
    def __init__(self) -> None:
        self.reads = 0
        self.release = asyncio.Event()
        self.fail = False

    async def fetch(self) -> int:
        self.reads += 1
        number = self.reads
        await self.release.wait()
        if self.fail:
            raise RuntimeError("upstream failed")
        return number


def test_many_concurrent_readers_cause_one_read_and_share_its_answer():
    async def scenario() -> None:
        upstream, now = Upstream(), [0.0]
        shared = SharedRead(upstream.fetch, ttl=1.0, clock=lambda: now[0])
        readers = [asyncio.ensure_future(shared.get()) for _ in range(50)]
        await asyncio.sleep(0)
        upstream.release.set()
        assert await asyncio.gather(*readers) == [1] * 50
        assert await shared.get() == 1  # within the time to live: no read
        now[0] = 1.0
        assert await shared.get() == 2
        assert upstream.reads == 2

    asyncio.run(scenario())


def test_after_invalidate_a_reader_never_joins_a_read_that_started_before():
    async def scenario() -> None:
        upstream = Upstream()
        shared = SharedRead(upstream.fetch, ttl=60.0)
        before = asyncio.ensure_future(shared.get())
        await asyncio.sleep(0)
        shared.invalidate()  # the gateway changed something meanwhile
        after = asyncio.ensure_future(shared.get())
        await asyncio.sleep(0)
        upstream.release.set()
        assert (await before, await after) == (1, 2)
        assert await shared.get() == 2

    asyncio.run(scenario())


def test_a_failed_read_fails_its_readers_and_is_not_kept():
    async def scenario() -> None:
        upstream = Upstream()
        upstream.fail = True
        upstream.release.set()
        shared = SharedRead(upstream.fetch, ttl=60.0)
        with pytest.raises(RuntimeError):
            await shared.get()
        upstream.fail = False
        assert await shared.get() == 2

    asyncio.run(scenario())
