"""The FastAPI application factory. Nothing is built at import time; the lifespan builds the edges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from gateway import __version__
from gateway.api import deployments, health, metrics, modules
from gateway.auth import TokenVerifier
from gateway.catalog import load_module_catalog, load_service_templates
from gateway.clients.marathon import MarathonClient, marathon_has_no_leader
from gateway.clients.upstream import UpstreamClient
from gateway.config import Settings
from gateway.discovery import LeaderSource, StaticLeaderSource
from gateway.edges import Edges
from gateway.metrics import GatewayMetrics, MetricsMiddleware
from gateway.problems import install_problem_handlers


def _leader_source(settings: Settings) -> LeaderSource:
    return StaticLeaderSource({"marathon": settings.marathon_url,
                               "chronos": settings.chronos_url,
                               "mesos": settings.mesos_url})


def _credentials(user: str, password: str) -> tuple[str, str] | None:
    return (user, password) if user else None


def create_app(settings: Settings | None = None, *,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the gateway. ``transport`` replaces the network for tests (e.g. httpx.MockTransport)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conf = settings or Settings()
        templates = load_service_templates(conf.job_specs_dir)
        catalog = load_module_catalog(conf.job_specs_dir)
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as http:
            leaders = _leader_source(conf)
            await leaders.start()
            marathon = MarathonClient(UpstreamClient(
                "marathon", http, leaders, timeout=conf.upstream_timeout,
                credentials=_credentials(conf.marathon_user,
                                         conf.marathon_password.get_secret_value()),
                no_leader=marathon_has_no_leader))
            app.state.edges = Edges(
                settings=conf, http=http, leaders=leaders,
                verifier=TokenVerifier(conf, http), marathon=marathon, templates=templates,
                catalog=catalog)
            try:
                yield
            finally:
                await leaders.stop()

    app = FastAPI(
        title="GPU scheduling gateway",
        summary="Deploy machine-learning modules as Marathon services and run Chronos jobs, "
                "with OpenID Connect bearer tokens.",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.metrics = GatewayMetrics(__version__)
    app.state.metrics.watch_leaders(lambda: getattr(getattr(app.state, "edges", None), "leaders", None))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(modules.router)
    app.include_router(deployments.router)
    return app
