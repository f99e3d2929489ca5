"""Chronos 3.x REST API (``/v1/scheduler``): the calls the gateway needs, errors mapped to ours.

Chronos answers 400 (never 404) for an unknown job and a Jetty HTML 500 for bodies its
deserializer chokes on; its 400 messages are whole Java stack traces. None of that reaches a
user: not-found becomes NotFound, anything else an UpstreamError with our own sentence, and
only the first line of Chronos' message goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import httpx

from gateway.errors import NotFound, UpstreamError
from gateway.upstreams.shared_read import SharedRead
from gateway.upstreams.upstream import UpstreamClient

log = logging.getLogger(__name__)

API = "/v1/scheduler"
# Creation only writes to ZooKeeper; the job appears in the API once Chronos' loop reloads it.
APPEAR_TIMEOUT = 5.0
APPEAR_POLL = 0.1
# How long a read-back waits for a write to show before taking it as not landed: Chronos serves
# jobs from a graph its loop reloads from ZooKeeper, so a job just stored, or every job on a
# leader just elected, briefly reads as absent (and a new leader shows no run in progress).
READ_BACK_SETTLE = 2.0


def chronos_has_no_leader(response: httpx.Response) -> bool:
    # A standby proxies to the leader; when it cannot, Jetty answers an HTML 500 saying so.
    return response.status_code == 500 and "Error proxying request to leader" in response.text


def chronos_message(response: httpx.Response) -> str:
    """The first line of Chronos' ApiResult message, without the Java exception prefix."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = str(body.get("message") or "") if isinstance(body, dict) else ""
    first = message.strip().splitlines()[0] if message.strip() else ""
    for prefix in ("java.lang.IllegalArgumentException: ", "requirement failed: "):
        first = first.removeprefix(prefix)
    return first[:300]


class Listing(NamedTuple):
    """Every job's live state (by name), and every job, read in that order: a job is at least
    as new as its state, so a run the summary no longer shows running is counted in the job."""

    summary: dict[str, dict[str, Any]]
    jobs: list[dict[str, Any]]


class ChronosClient:
    def __init__(self, upstream: UpstreamClient, *, appear_timeout: float = APPEAR_TIMEOUT,
                 listing_ttl: float = 0.0) -> None:
        self._upstream = upstream
        self._appear_timeout = appear_timeout
        # Chronos has no event stream: readers share one listing for ``listing_ttl`` seconds,
        # with one read in flight; every change made through this client starts a new one.
        self._listing = SharedRead(self._read_listing, ttl=listing_ttl)

    async def listing(self) -> Listing:
        """The shared (up to ``listing_ttl`` seconds old) summary and jobs, for reads."""
        return await self._listing.get()

    async def _read_listing(self) -> Listing:
        summary = await self.summary()
        return Listing(summary, await self.list_jobs())

    async def list_jobs(self) -> list[dict[str, Any]]:
        response = await self._upstream.request("GET", f"{API}/jobs", idempotent=True)
        data = _json(_ok(response, "list its jobs"))
        return [job for job in data if isinstance(job, dict)] if isinstance(data, list) else []

    async def get_job(self, name: str) -> dict[str, Any] | None:
        response = await self._upstream.request("GET", f"{API}/job/{name}", idempotent=True)
        if _not_found(response):
            return None
        data = _json(_ok(response, "read a job"))
        if not isinstance(data, dict):
            raise UpstreamError("Chronos answered with an unexpected document.")
        return data

    async def summary(self) -> dict[str, dict[str, Any]]:
        """The live state of every job, by name (``state``: idle, queued or "<N> running")."""
        response = await self._upstream.request("GET", f"{API}/jobs/summary", idempotent=True)
        data = _json(_ok(response, "summarise its jobs"))
        jobs = data.get("jobs") if isinstance(data, dict) else None
        return {str(j["name"]): j for j in jobs or [] if isinstance(j, dict) and "name" in j}

    async def create_job(self, job: dict[str, Any], endpoint: str) -> dict[str, Any]:
        """Create (Chronos: create or replace) and wait until the job is visible.

        A POST of a name replaces the job, resetting its schedule: sent again after the first
        one started a run-now job's run, it would run the job a second time. So before any
        second send the job is read back: one carrying every environment variable of this one
        (the gateway's record holds a nonce per write) is this very write, landed.
        """
        name = str(job["name"])

        async def landed() -> httpx.Response | None:
            async def carried() -> bool:
                there = await self.get_job(name)
                return there is not None and _carries_env(there, job)

            return _answered() if await self._shows(carried) else None

        response = await self._upstream.request("POST", endpoint, json=job, idempotent=False,
                                                landed=landed)
        self._listing.invalidate()
        _ok(response, "create the job")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._appear_timeout
        while True:
            created = await self.get_job(name)
            if created is not None:
                self._listing.invalidate()  # a listing read while it was not visible yet
                return created
            if loop.time() >= deadline:
                raise UpstreamError("Chronos accepted the job but does not show it; it may have "
                                    "dropped it (e.g. a parent vanished meanwhile).")
            await asyncio.sleep(APPEAR_POLL)

    async def run_job(self, job: dict[str, Any], *,
                      launched: Callable[[], Awaitable[bool]] | None = None) -> None:
        """Run the job (as just read) now. Once its run has started, a second PUT starts another,
        so before any second send the job is read back: queued or running, with a run counted
        since ``job`` was read, or a run ``launched`` (Mesos knows runs a new Chronos leader has
        forgotten), the first PUT landed."""
        name = str(job["name"])

        async def started() -> bool:
            state = str((await self.summary()).get(name, {}).get("state") or "idle")
            now = await self.get_job(name)
            moved = now is not None and any(now.get(k) != job.get(k) for k in _RUN_RECORD)
            return state != "idle" or moved or (launched is not None and await launched())

        async def landed() -> httpx.Response | None:
            return _answered() if await self._shows(started) else None

        response = await self._upstream.request("PUT", f"{API}/job/{name}", idempotent=False,
                                                landed=landed)
        self._listing.invalidate()
        _checked(response, "start the job")

    async def _shows(self, check: Callable[[], Awaitable[bool]]) -> bool:
        """Whether ``check`` holds within READ_BACK_SETTLE seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_BACK_SETTLE
        while not await check():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(APPEAR_POLL)
        return True

    async def kill_tasks(self, name: str) -> None:
        response = await self._upstream.request("DELETE", f"{API}/task/kill/{name}",
                                                idempotent=True)
        self._listing.invalidate()
        _checked(response, "kill the job's tasks")

    async def delete_job(self, name: str) -> None:
        response = await self._upstream.request("DELETE", f"{API}/job/{name}", idempotent=True)
        self._listing.invalidate()
        _checked(response, "delete the job")


# What a run of a job changes in it.
_RUN_RECORD = ("successCount", "errorCount", "lastSuccess", "lastError", "schedule")


def _answered() -> httpx.Response:
    """What Chronos answers a create or a run (204, no body): the answer of a write whose own
    answer was lost, once it is read back as landed."""
    return httpx.Response(204)


def _carries_env(job: dict[str, Any], sent: dict[str, Any]) -> bool:
    held = {(e.get("name"), e.get("value")) for e in job.get("environmentVariables") or []
            if isinstance(e, dict)}
    wanted = [(e["name"], e["value"]) for e in sent.get("environmentVariables") or []]
    return bool(wanted) and all(pair in held for pair in wanted)


def _not_found(response: httpx.Response) -> bool:
    return response.status_code in (400, 404) and "not found" in chronos_message(response).lower()


def _checked(response: httpx.Response, what: str) -> None:
    if _not_found(response):
        raise NotFound("No such job.")
    _ok(response, what)


def _ok(response: httpx.Response, what: str) -> httpx.Response:
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status in (401, 403):
        raise UpstreamError("The gateway's credentials for Chronos were refused.")
    first = chronos_message(response)
    log.warning("Chronos refused to %s: HTTP %s %s", what, status, first or "(no message)")
    if status == 400:
        raise UpstreamError(f"Chronos refused to {what} (HTTP 400).")
    raise UpstreamError(f"Chronos failed to {what} (HTTP {status}).")


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise UpstreamError("Chronos answered with something that is not JSON.") from None
