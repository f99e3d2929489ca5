"""Many deployments racing for the last of a user's quota, over one or several replicas."""

from __future__ import annotations

import asyncio

from gateway.errors import QuotaExceeded
from gateway.identity import Identity
from gateway.models import Hardware
from gateway.quotas import Quotas, Usage


class Ledger:
    """A workload store whose creations take time, like a Marathon POST."""

    def __init__(self) -> None:
        self.items: dict[str, list[Usage]] = {}

    async def usage(self, owner: str) -> Usage:
        await asyncio.sleep(0.001)
        return sum(self.items.get(owner, []), Usage())

    async def create(self, owner: str, usage: Usage) -> None:
        await asyncio.sleep(0.005)
        self.items.setdefault(owner, []).append(usage)


async def race(quotas: list[Quotas], ledger: Ledger, identity: Identity, attempts: int) -> int:
    """How many of ``attempts`` concurrent one-GPU deployments the replicas' quotas admit."""
    hardware = Hardware(cpus=1, memory=1024, disk=0, gpus=1)

    async def attempt(index: int) -> bool:
        try:
            async with quotas[index % len(quotas)].admit(identity, "deployments", hardware):
                await ledger.create(identity.owner, Usage.of(hardware))
        except QuotaExceeded:
            return False
        return True

    return sum(await asyncio.gather(*(attempt(i) for i in range(attempts))))
