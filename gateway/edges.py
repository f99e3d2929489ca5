"""What the lifespan builds once and every delivery shares.

``Edges``: the I/O clients (HTTP, leader discovery, token verification, the schedulers, the quota
lock) plus what was loaded at start-up and stays read-only (settings, catalog, templates).
``Services``: the two services built over them (the contract is in gateway/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from gateway.auth import TokenVerifier
from gateway.capacity import ClusterCapacity
from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.config import Settings
from gateway.deployments import Deployments
from gateway.discovery import LeaderSource
from gateway.jobs import Jobs
from gateway.quotas import Quotas
from gateway.read_view import ReadView
from gateway.readiness import Reachability
from gateway.translation.job_templates import JobTemplates
from gateway.upstreams.chronos import ChronosClient
from gateway.upstreams.marathon import MarathonClient
from gateway.upstreams.mesos import MesosClient


@dataclass(frozen=True)
class Edges:
    settings: Settings
    http: httpx.AsyncClient
    leaders: LeaderSource
    verifier: TokenVerifier
    marathon: MarathonClient
    templates: ServiceTemplates
    catalog: ModuleCatalog
    mesos: MesosClient
    quotas: Quotas
    chronos: ChronosClient | None = None
    capacity: ClusterCapacity | None = None
    reachability: Reachability | None = None
    job_templates: JobTemplates = field(default_factory=JobTemplates)
    read_view: ReadView | None = None


@dataclass(frozen=True)
class Services:
    deployments: Deployments
    jobs: Jobs | None  # None: Chronos is not configured
