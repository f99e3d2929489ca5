"""What the HTTP face of a Marathon process needs from the process: its configuration, whether
and whom it follows, its scheduler and event bus, and the two ways to give up leadership.

``MarathonInstance`` provides it; routes, the system API and the leader proxy see only this,
so the instance can build them without the modules importing one another in a circle.
"""

from __future__ import annotations

from typing import Protocol

from simcluster.config import SimConfig
from simcluster.faults import FaultInjector
from simcluster.marathon.events import EventBus
from simcluster.marathon.scheduler import MarathonScheduler


class MarathonNode(Protocol):
    @property
    def config(self) -> SimConfig: ...

    @property
    def scheduler(self) -> MarathonScheduler: ...

    @property
    def events(self) -> EventBus: ...

    @property
    def faults(self) -> FaultInjector | None: ...

    @property
    def is_leader(self) -> bool: ...

    @property
    def port(self) -> int: ...

    @property
    def host_port(self) -> str: ...

    @property
    def own_url(self) -> str: ...

    @property
    def master_url(self) -> str: ...

    def leader_host_port(self) -> str | None: ...

    def proxies_events(self) -> bool: ...

    def abdicate(self) -> None:
        """``DELETE /v2/leader``: step down now, rejoin the election at the back."""

    async def step_down(self, *, rejoin: bool = True) -> None: ...
