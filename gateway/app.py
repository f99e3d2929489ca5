"""The FastAPI application factory. Nothing is built at import time; the lifespan builds the edges
and the services, once (gateway/services.py)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from fastapi import FastAPI

from gateway import __version__
from gateway.api import capacity as capacity_api
from gateway.api import deployments, docs, health, jobs, me, metrics, modules, problem_pages
from gateway.api.body_limit import BodyLimitMiddleware
from gateway.api.entry import FrontedFastAPI
from gateway.api.list_front import DeploymentListFront
from gateway.api.openapi import install_openapi
from gateway.api.rendered import RenderedLists
from gateway.auth import TokenVerifier
from gateway.capacity import ClusterCapacity
from gateway.catalog_files import load_job_templates, load_module_catalog, load_service_templates
from gateway.config import Settings
from gateway.deployments import Deployments
from gateway.discovery import LeaderSource
from gateway.discovery.configured import leader_source_for
from gateway.discovery.source import Scheduler
from gateway.edges import Edges, Services
from gateway.jobs import Jobs
from gateway.metrics import GatewayMetrics
from gateway.problems import install_problem_handlers
from gateway.quota_locks import LocalQuotaLock, QuotaLock, ZooKeeperQuotaLock, ZooKeeperSession
from gateway.quotas import Quotas
from gateway.read_view import ReadView
from gateway.readiness import Reachability
from gateway.request_context import RequestContextMiddleware, send_request_id
from gateway.upstreams.chronos import ChronosClient, chronos_has_no_leader
from gateway.upstreams.marathon import MarathonClient, marathon_has_no_leader
from gateway.upstreams.mesos import MesosClient, mesos_has_no_leader
from gateway.upstreams.upstream import NoLeaderCheck, UpstreamClient
from gateway.web import install_web, web_state_for
from gateway.web.context import DemoSignIn


def _quota_lock(settings: Settings, leaders: LeaderSource) -> QuotaLock:
    if settings.zk_hosts:
        if not isinstance(leaders, ZooKeeperSession):
            raise RuntimeError("With ZooKeeper, leader discovery must lend its session to the "
                               "quota lock.")
        return ZooKeeperQuotaLock(leaders, settings.zk_quota_lock_path,
                                  timeout=settings.quota_lock_timeout)
    # Without ZooKeeper the lock only serialises this process: run a single replica then.
    return LocalQuotaLock(settings.quota_lock_timeout)


# FastAPI 0.165+ asks the OpenTelemetry providers on every request whether to trace it (reading
# the environment each time); the gateway reports through its own Prometheus metrics instead.
_NO_TELEMETRY = ({"telemetry": {"tracing": False, "metrics": False, "logs": False}}
                 if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {})


def _upstream_factory(conf: Settings, http: httpx.AsyncClient, leaders: LeaderSource,
                      metrics: GatewayMetrics) -> Callable[..., UpstreamClient]:
    """Builds each scheduler's client with the settings they all share."""

    def upstream(scheduler: Scheduler, no_leader: NoLeaderCheck, *, unprocessed: bool = False,
                 credentials: tuple[str, str] | None = None) -> UpstreamClient:
        return UpstreamClient(scheduler, http, leaders, timeout=conf.upstream_timeout,
                              leader_wait=conf.leader_failover_wait, credentials=credentials,
                              no_leader=no_leader, no_leader_is_unprocessed=unprocessed,
                              observe=metrics.observe_upstream)

    return upstream


def _max_body_bytes(app: FastAPI) -> int:
    edges: Edges | None = getattr(app.state, "edges", None)
    limit: int = (edges.settings if edges else Settings.model_construct()).max_body_bytes
    return limit


def create_app(settings: Settings | None = None, *,
               transport: httpx.AsyncBaseTransport | None = None,
               dev_login: DemoSignIn | None = None) -> FastAPI:
    """Build the gateway. ``transport`` replaces the network for tests (e.g. httpx.MockTransport);
    ``dev_login`` is the development issuer, given only by ``gateway dev`` (the UI's demo login)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conf = settings or Settings()
        app.state.web = web_state_for(conf, dev_login)
        templates = load_service_templates(conf.job_specs_dir)
        catalog = load_module_catalog(conf.job_specs_dir)
        job_templates = load_job_templates(conf.job_specs_dir)
        # Every edge is closed again, in reverse order, also when a later one fails to start.
        async with AsyncExitStack() as opened:
            # One client serves every user, issuer and scheduler: it must keep no cookies, or
            # one answer's Set-Cookie would ride along with other users' and upstream calls.
            http = await opened.enter_async_context(httpx.AsyncClient(
                transport=transport, follow_redirects=False,
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                event_hooks={"request": [send_request_id]}))
            leaders = leader_source_for(conf)
            opened.push_async_callback(leaders.stop)
            await leaders.start()
            upstream = _upstream_factory(conf, http, leaders, app.state.metrics)
            marathon = MarathonClient(upstream(
                "marathon", marathon_has_no_leader, unprocessed=True,
                credentials=conf.basic_credentials("marathon")))
            mesos = MesosClient(upstream("mesos", mesos_has_no_leader, unprocessed=True),
                                http, timeout=conf.upstream_timeout)
            # Without a Chronos URL or ZooKeeper there is no Chronos: the job routes answer 503.
            chronos = ChronosClient(upstream(
                "chronos", chronos_has_no_leader,
                credentials=conf.basic_credentials("chronos"),
            ), listing_ttl=conf.chronos_cache_ttl) if conf.chronos_url or conf.zk_hosts else None
            # The read view follows Marathon from here on; reads ask Marathon until it is live.
            read_view = ReadView(marathon, leaders, group=conf.marathon_group,
                                 resync_every=conf.read_view_resync)
            opened.push_async_callback(read_view.stop)
            await read_view.start()
            quotas = Quotas(conf, _quota_lock(conf, leaders))
            opened.push_async_callback(quotas.lock.stop)
            await quotas.lock.start()
            capacity = ClusterCapacity(settings=conf, mesos=mesos, marathon=marathon,
                                       chronos=chronos)
            deployments_service = Deployments(
                settings=conf, marathon=marathon, mesos=mesos, catalog=catalog,
                templates=templates, quotas=quotas, capacity=capacity, view=read_view)
            quotas.register_usage("deployments", deployments_service.usage)
            jobs_service = Jobs(
                settings=conf, chronos=chronos, mesos=mesos, catalog=catalog, templates=templates,
                job_templates=job_templates, quotas=quotas,
                capacity=capacity) if chronos is not None else None
            if jobs_service is not None:
                quotas.register_usage("jobs", jobs_service.usage)
            app.state.edges = Edges(
                settings=conf, http=http, leaders=leaders,
                verifier=TokenVerifier(conf, http), marathon=marathon, templates=templates,
                catalog=catalog, mesos=mesos, quotas=quotas, chronos=chronos,
                job_templates=job_templates, capacity=capacity, read_view=read_view,
                reachability=Reachability(conf, http, leaders))
            app.state.services = Services(deployments=deployments_service, jobs=jobs_service)
            yield

    app = FrontedFastAPI(
        title=docs.TITLE,
        summary="Deploy machine-learning modules as Marathon services and run Chronos jobs, "
                "with OpenID Connect bearer tokens.",
        version=__version__,
        lifespan=lifespan,
        # Served by gateway/api/docs.py, under the proxy's prefix.
        docs_url=None, redoc_url=None,
        **_NO_TELEMETRY,
    )
    app.state.rendered_lists = RenderedLists()
    app.state.metrics = GatewayMetrics(__version__)
    app.state.metrics.watch(lambda: getattr(app.state, "edges", None))
    # Set when the server starts draining (gateway.serving.DrainingServer): log follows end.
    app.state.draining = asyncio.Event()
    # Inside the request context, so a refused body is logged and counted like any answer.
    app.add_middleware(BodyLimitMiddleware, limit=lambda: _max_body_bytes(app))
    # In front of the framework (gateway/api/entry.py): lists answered from rendered bytes get
    # their id, access line and metrics, and skip the rest.
    app.front_with(lambda framework: RequestContextMiddleware(
        framework, observe=app.state.metrics.observe_request, front=DeploymentListFront(app)))
    install_problem_handlers(app)
    install_openapi(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(modules.router)
    app.include_router(deployments.router)
    app.include_router(jobs.router)
    app.include_router(me.router)
    app.include_router(capacity_api.router)
    app.include_router(problem_pages.router)
    app.include_router(docs.router)
    install_web(app, dev_login=dev_login)
    return app
