"""Per-user quotas over everything a user holds or waits for: deployments and jobs.

Each kind of workload plugs in a *usage source*, an async callable that tells what one owner
currently has of that kind. Admission runs under a per-user lock (ZooKeeper across replicas, see
``gateway.quota_locks``), so the usage it reads already includes whatever the previous holder
created: two replicas or twenty concurrent requests cannot overshoot.

The lifespan registers each service's source; each service admits its creations::

    quotas.register_usage("jobs", jobs.usage)          # async (owner) -> Usage
    async with quotas.admit(identity, "jobs", hardware):
        await chronos.create_job(...)                   # still inside the lock

``admit(..., replay=...)`` lets an idempotent retry find its first attempt under the same lock.

Whose quota: the caller's (an ``Identity``) when they create or change their own work; when an
administrator changes someone else's, the owner's, as their workload recorded it at creation
(``RecordedOwner``: the owner key and the quota groups the owner was in then).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from gateway.config import QuotaLimits, Settings
from gateway.errors import QuotaExceeded
from gateway.identity import Identity
from gateway.models import Hardware
from gateway.models.messages import number_text
from gateway.quota_locks import QuotaLock

log = logging.getLogger(__name__)
T = TypeVar("T")

COUNT_LIMITS = {"deployments": "deployments", "jobs": "jobs"}
_UNITS = {"gpus": "GPUs", "cpus": "CPUs", "memory": "MiB of memory"}


@dataclass(frozen=True)
class Usage:
    """What one owner holds or waits for, of one kind (``count`` items)."""

    cpus: float = 0.0
    memory: int = 0
    gpus: int = 0
    count: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.cpus + other.cpus, self.memory + other.memory, self.gpus + other.gpus,
                     self.count + other.count)

    def __sub__(self, other: Usage) -> Usage:
        return Usage(self.cpus - other.cpus, self.memory - other.memory, self.gpus - other.gpus,
                     self.count - other.count)

    @classmethod
    def of(cls, hardware: Hardware, count: int = 1) -> Usage:
        return cls(hardware.cpus * count, hardware.memory * count, hardware.gpus * count, count)


UsageSource = Callable[[str], Awaitable[Usage]]


class QuotaHolder(Protocol):
    """Whose quota a workload counts against: an ``Identity``, or a ``RecordedOwner``."""

    @property
    def owner(self) -> str: ...

    @property
    def groups(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class RecordedOwner:
    """An owner known only from their workload (an administrator changes it): the owner key and
    the quota groups recorded when it was created. The owner's token is not at hand, and their
    limits follow their groups, not the administrator's."""

    owner: str
    groups: frozenset[str] = frozenset()


def default_limits(settings: Settings) -> QuotaLimits:
    return QuotaLimits(gpus=settings.quota_gpus, cpus=settings.quota_cpus,
                       memory=settings.quota_memory, deployments=settings.quota_deployments,
                       jobs=settings.quota_jobs)


def limits_for(groups: Iterable[str], default: QuotaLimits,
               by_group: dict[str, QuotaLimits]) -> QuotaLimits:
    """The most generous limits among the user's groups; a group leaves out what it keeps default."""
    matching = [by_group[g] for g in sorted(set(groups)) if g in by_group]
    if not matching:
        return default
    merged: dict[str, Any] = {}
    for name in QuotaLimits.model_fields:
        values = [getattr(g, name) if name in g.model_fields_set else getattr(default, name)
                  for g in matching]
        merged[name] = None if any(v is None for v in values) else max(values)
    return QuotaLimits(**merged)


def used_by_resource(usage: dict[str, Usage]) -> dict[str, float]:
    """What the quotas count, as /v1/me and the forms show it: GPUs, CPUs and memory of every
    kind together, and how many deployments and jobs."""
    total = sum(usage.values(), Usage())
    return {"gpus": total.gpus, "cpus": total.cpus, "memory": total.memory,
            "deployments": usage.get("deployments", Usage()).count,
            "jobs": usage.get("jobs", Usage()).count}


def check_quota(limits: QuotaLimits, usage: dict[str, Usage], kind: str, asked: Usage, *,
                whose: str = "Your") -> None:
    """Refuse ``asked`` (one more item of ``kind``) if it would take the owner over ``limits``."""
    total = sum(usage.values(), Usage())
    over: dict[str, dict[str, float]] = {}
    for name in ("gpus", "cpus", "memory"):
        allowed = getattr(limits, name)
        used, more = getattr(total, name), getattr(asked, name)
        if allowed is not None and more > 0 and used + more > allowed:
            over[name] = {"used": used, "asked": more, "allowed": allowed}
    count_limit = getattr(limits, COUNT_LIMITS[kind]) if kind in COUNT_LIMITS else None
    used_count = usage.get(kind, Usage()).count
    if count_limit is not None and used_count + asked.count > count_limit:
        over[kind] = {"used": used_count, "asked": asked.count, "allowed": count_limit}
    if over:
        parts = [f"{number_text(v['used'])} of {number_text(v['allowed'])} {_UNITS.get(name, name)} used, "
                 f"{number_text(v['asked'])} more asked" for name, v in over.items()]
        raise QuotaExceeded(f"{whose} quota does not allow this: " + "; ".join(parts) + ".",
                            extra={"quota": over})


class Quotas:
    def __init__(self, settings: Settings, lock: QuotaLock) -> None:
        self._default = default_limits(settings)
        self._by_group = dict(settings.quota_groups)
        self._sources: dict[str, UsageSource] = {}
        self.lock = lock
        # Refusals by (what was asked for, the resource over its limit), for /metrics.
        self.refusals: Counter[tuple[str, str]] = Counter()

    def register_usage(self, kind: str, source: UsageSource) -> None:
        self._sources[kind] = source

    def limits(self, holder: QuotaHolder) -> QuotaLimits:
        return limits_for(holder.groups, self._default, self._by_group)

    def groups_to_record(self, identity: Identity) -> list[str]:
        """The caller's groups that set quota limits, recorded on what they create, so an
        administrator's later change is held to this owner's limits."""
        return sorted(group for group in identity.groups if group in self._by_group)

    async def usage(self, owner: str) -> dict[str, Usage]:
        return {kind: await source(owner) for kind, source in sorted(self._sources.items())}

    async def check(self, holder: QuotaHolder, kind: str, hardware: Hardware,
                    replacing: Usage | None = None) -> None:
        """Refuse one more ``kind`` with ``hardware`` (or, ``replacing`` what an existing one
        counts for, that one changed to ``hardware``); call it holding the owner's lock."""
        limits = self.limits(holder)
        if limits == QuotaLimits():
            return
        usage = await self.usage(holder.owner)
        if replacing is not None:
            usage[kind] = usage.get(kind, Usage()) - replacing
        whose = "The owner's" if isinstance(holder, RecordedOwner) else "Your"
        try:
            check_quota(limits, usage, kind, Usage.of(hardware), whose=whose)
        except QuotaExceeded as refused:
            for resource in refused.extra.get("quota", {}):
                self.refusals[(kind, resource)] += 1
            raise

    @asynccontextmanager
    async def admit(self, identity: Identity, kind: str, hardware: Hardware, *,
                    replay: Callable[[], Awaitable[T | None]] | None = None,
                    ) -> AsyncIterator[T | None]:
        """Hold the owner's lock, refuse if over quota, and let the caller create inside.

        ``replay`` runs first, under the lock: what it returns (an earlier attempt's result of
        this same request) is yielded instead, without a quota check, since it already counts.
        Otherwise the block gets None and creates.
        """
        async with self.lock.hold(identity.owner):
            earlier = await replay() if replay is not None else None
            if earlier is None:
                await self.check(identity, kind, hardware)
            yield earlier
