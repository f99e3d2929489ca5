"""Client traffic through the gateway's upstream client while a leader dies, and what it saw.

Readers list (idempotent) in a loop; one writer submits new things (not idempotent). Every
request the gateway sends is recorded at the transport, so a test can tell a submission that
reached a scheduler twice from one whose first attempt never left the gateway.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from gateway.errors import GatewayError


class RecordingTransport(httpx.AsyncBaseTransport):
    """Counts, per submission, the sends a scheduler may have acted on: not a refused connection,
    nor an answer that ``no_effect`` recognises (Marathon's "no leader" is sent before anything
    is done)."""

    def __init__(self, no_effect: Callable[[httpx.Response], bool] = lambda response: False) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._no_effect = no_effect
        self.reached: Counter[str] = Counter()
        self.in_flight: set[str] = set()  # submissions sent and not answered yet
        # (when, "host:port") of every served answer, to see when the gateway began using a leader.
        self.answers: list[tuple[float, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = submission_of(request)
        if key:
            self.in_flight.add(key)
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.ConnectError:
            raise
        except httpx.TransportError:
            if key:
                self.reached[key] += 1  # it left: the scheduler may have acted on it
            raise
        finally:
            self.in_flight.discard(key or "")
        if key:
            await response.aread()
            if not self._no_effect(response):
                self.reached[key] += 1
        if response.status_code < 500:  # a 5xx "no leader" is not the leader serving
            self.answers.append((time.monotonic(), f"{request.url.host}:{request.url.port}"))
        return response

    def first_answer_from(self, url: str, after: float) -> float | None:
        where = url.split("://", 1)[-1]
        times = [when for when, netloc in self.answers if netloc == where and when >= after]
        return min(times) if times else None

    def repeated(self) -> int:
        """Submissions a scheduler may have acted on more than once."""
        return sum(1 for count in self.reached.values() if count > 1)

    async def aclose(self) -> None:
        await self._inner.aclose()


def submission_of(request: httpx.Request) -> str | None:
    """The name (Chronos) or id (Marathon) a submission carries; None for other requests."""
    if request.method != "POST" or not request.content:
        return None
    body = json.loads(request.content)
    return str(body.get("name") or body.get("id")) if isinstance(body, dict) else None


@dataclass
class Outcome:
    started: float
    finished: float
    ok: bool
    detail: str = ""


@dataclass
class Traffic:
    reads: list[Outcome] = field(default_factory=list)
    writes: list[Outcome] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)

    def failed_reads(self) -> list[Outcome]:
        return [o for o in self.reads if not o.ok]

    def failed_writes(self) -> list[Outcome]:
        return [o for o in self.writes if not o.ok]

    def first_success_started_after(self, moment: float) -> float | None:
        done = [o.finished for o in self.reads if o.ok and o.started >= moment]
        return min(done) if done else None


Read = Callable[[], Awaitable[httpx.Response]]
Write = Callable[[str], Awaitable[httpx.Response]]


async def drive(read: Read, write: Write, stop: asyncio.Event, *, readers: int = 3,
                read_pause: float = 0.01, write_pause: float = 0.05,
                prefix: str = "failover") -> Traffic:
    """Run readers and a writer until ``stop`` is set. A problem answer counts as a failure.
    Submissions are named ``<prefix>-0000`` on: a new prefix per round keeps them apart."""
    traffic = Traffic()

    async def one(kind: list[Outcome], call: Awaitable[httpx.Response]) -> None:
        started = time.monotonic()
        try:
            response = await call
            ok, detail = response.is_success, f"HTTP {response.status_code} {response.text[:200]}"
        except GatewayError as error:
            ok, detail = False, error.detail
        kind.append(Outcome(started, time.monotonic(), ok, detail))

    async def reader() -> None:
        while not stop.is_set():
            await one(traffic.reads, read())
            await asyncio.sleep(read_pause)

    async def writer() -> None:
        number = 0
        while not stop.is_set():
            name = f"{prefix}-{number:04d}"
            number += 1
            traffic.submitted.append(name)
            await one(traffic.writes, write(name))
            await asyncio.sleep(write_pause)

    await asyncio.gather(writer(), *(reader() for _ in range(readers)))
    return traffic
