"""The edges (all I/O) the app builds once, in its lifespan, and hands to the routers."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gateway.auth import TokenVerifier
from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.clients.marathon import MarathonClient
from gateway.clients.mesos import MesosClient
from gateway.config import Settings
from gateway.discovery import LeaderSource
from gateway.quotas import Quotas


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
