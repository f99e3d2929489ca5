"""The edges (all I/O) the app builds once, in its lifespan, and hands to the routers."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from gateway.auth import TokenVerifier
from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.clients.chronos import ChronosClient
from gateway.clients.marathon import MarathonClient
from gateway.clients.mesos import MesosClient
from gateway.config import Settings
from gateway.discovery import LeaderSource
from gateway.quotas import Quotas
from gateway.specs.job_templates import JobTemplates


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
    job_templates: JobTemplates = field(default_factory=JobTemplates)
