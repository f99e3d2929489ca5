"""The user's quota as the deploy and submit forms show it: limit, used, left per resource."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.catalog import Module
from gateway.config import QuotaLimits
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.identity import Identity
from gateway.models import Hardware
from gateway.quotas import Quotas, used_by_resource

RESOURCES = (("gpus", "GPUs"), ("cpus", "CPUs"), ("memory", "MiB memory"),
             ("deployments", "deployments"), ("jobs", "jobs"))


@dataclass(frozen=True)
class QuotaLine:
    label: str
    limit: float | None
    used: float | None

    @property
    def left(self) -> float | None:
        if self.limit is None or self.used is None:
            return None
        return max(self.limit - self.used, 0)


@dataclass(frozen=True)
class QuotaView:
    lines: tuple[QuotaLine, ...]
    detail: str  # why usage is unknown, when it is

    def left(self, resource: str) -> float | None:
        labels = dict(RESOURCES)
        return next((line.left for line in self.lines if line.label == labels[resource]), None)

    def caps(self, module_max: Hardware) -> dict[str, float]:
        """The most of each resource one more deployment may take: module maximum and quota left."""
        caps: dict[str, float] = {}
        for name in ("cpus", "memory", "disk", "gpus"):
            allowed: float = getattr(module_max, name)
            left = self.left(name) if name != "disk" else None
            caps[name] = allowed if left is None else min(allowed, left)
        return caps


async def quota_view(quotas: Quotas, user: Identity) -> QuotaView:
    limits: QuotaLimits = quotas.limits(user)
    detail = ""
    try:
        usage = await quotas.usage(user.owner)
    except (UpstreamError, UpstreamUnavailable) as exc:
        usage, detail = None, exc.detail
    used = used_by_resource(usage) if usage is not None else {}
    return QuotaView(tuple(QuotaLine(label, getattr(limits, name), used.get(name))
                           for name, label in RESOURCES), detail)


def fits(module: Module, caps: dict[str, float]) -> bool:
    """Whether the module's minimum still fits in what the user may take now."""
    minimum = module.hardware.min
    return all(getattr(minimum, name) <= caps[name] for name in caps)
