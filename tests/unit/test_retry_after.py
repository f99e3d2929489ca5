"""A 503 says when to retry where retrying helps, and not where it cannot (not configured)."""

from __future__ import annotations

import asyncio

from gateway.errors import UpstreamUnavailable
from gateway.quota_locks import LocalQuotaLock
from gateway.services import require_mesos


def test_an_unavailable_scheduler_says_when_to_retry():
    assert UpstreamUnavailable("Marathon is busy.").headers["Retry-After"] == "5"
    assert UpstreamUnavailable("x", headers={"Retry-After": "2"}).headers["Retry-After"] == "2"


def test_something_not_configured_does_not_invite_a_retry():
    try:
        require_mesos(None, "Logs")
    except UpstreamUnavailable as error:
        assert "Retry-After" not in error.headers
    else:
        raise AssertionError("no Mesos master, yet no refusal")


async def _busy_lock_refusal() -> UpstreamUnavailable:
    lock = LocalQuotaLock(0.01)
    async with lock.hold("owner"):
        try:
            async with lock.hold("owner"):
                pass
        except UpstreamUnavailable as error:
            return error
    raise AssertionError("the lock was not busy")


def test_a_busy_quota_lock_says_when_to_retry():

    assert asyncio.run(_busy_lock_refusal()).headers["Retry-After"] == "5"
