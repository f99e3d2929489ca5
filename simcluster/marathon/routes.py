"""The HTTP face of one Marathon process: routes, Marathon's and Jersey's error shapes, and the
filters in front of them."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from simcluster.basic_auth import BasicAuthMiddleware
from simcluster.faults import FaultMiddleware
from simcluster.marathon.api_apps import AppsApi
from simcluster.marathon.api_system import SystemApi
from simcluster.marathon.errors import MarathonError
from simcluster.marathon.node import MarathonNode
from simcluster.marathon.proxy import LeaderProxyMiddleware

log = logging.getLogger(__name__)


def marathon_app(instance: MarathonNode) -> tuple[ASGIApp, LeaderProxyMiddleware]:
    """Everything one Marathon process serves, outermost first: Basic auth, faults, the
    LeaderProxyFilter, the API; and that filter, whose connections the process closes."""
    apps = AppsApi(
        lambda: instance.scheduler,
        instance.config.marathon_features,
        instance.config.service_port_range,
        3600 if instance.config.marathon_version.startswith(("1.5", "1.6", "1.7")) else 300,
        legacy=instance.config.marathon_version.startswith("1.5"),
    )
    system = SystemApi(instance)
    routes = [
        Route("/v2/apps", apps.dispatch, methods=["GET", "POST", "PUT", "PATCH"]),
        Route("/v2/apps/{rest:path}", apps.dispatch,
              methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/v2/deployments", system.deployments),
        Route("/v2/deployments/{deployment_id}", system.delete_deployment,
              methods=["DELETE"]),
        Route("/v2/tasks", system.tasks),
        Route("/v2/tasks/delete", system.delete_tasks, methods=["POST"]),
        Route("/v2/queue", system.queue),
        Route("/v2/queue/{app_id:path}/delay", system.reset_delay, methods=["DELETE"]),
        Route("/v2/info", system.info),
        Route("/v2/leader", system.leader),
        Route("/v2/leader", system.abdicate, methods=["DELETE"]),
        Route("/ping", system.ping),
        Route("/v2/events", system.events),
    ]
    if instance.faults is not None:
        routes += instance.faults.routes()
        routes.append(Route("/__sim__/leader-loss", _leader_loss(instance), methods=["POST"]))
    app: ASGIApp = Starlette(
        routes=routes,
        exception_handlers={
            MarathonError: _marathon_error,
            HTTPException: _jersey_error,
            Exception: _internal_error,
        },
    )
    app = proxy = LeaderProxyMiddleware(app, instance)
    if instance.faults is not None:
        app = FaultMiddleware(app, instance.faults)
    if instance.config.credentials is not None:
        app = BasicAuthMiddleware(app, ":".join(instance.config.credentials))
    return app, proxy


def _leader_loss(instance: MarathonNode) -> Callable[[Request], Awaitable[Response]]:
    async def leader_loss(request: Request) -> Response:
        """Fault: lose leadership; with ``{"rejoin": false}`` also stay out of the election,
        so that when every instance did so there is no leader at all."""
        raw = await request.body()
        try:
            rejoin = bool(json.loads(raw).get("rejoin", True)) if raw else True
        except (ValueError, AttributeError):
            return JSONResponse({"message": "body must be a JSON object"}, status_code=400)
        was_leader = instance.is_leader
        await instance.step_down(rejoin=rejoin)
        return JSONResponse({"abdicated": was_leader})

    return leader_loss


async def _marathon_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MarathonError)
    return exc.response()


async def _jersey_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods: Jersey's WebApplicationException as Marathon maps it."""
    assert isinstance(exc, HTTPException)
    phrase = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, exc.detail)
    return JSONResponse({"message": f"HTTP {exc.status_code} {phrase}"},
                        status_code=exc.status_code)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("Marathon simulation failed on %s", request.url.path, exc_info=exc)
    with contextlib.suppress(Exception):
        return JSONResponse({"message": str(exc) or type(exc).__name__}, status_code=500)
    return Response(status_code=500)
