"""Putting the web UI into the app: its routers, its static files, and its state."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway.config import Settings
from gateway.errors import NotFound
from gateway.root_path import root_path
from gateway.web import catalog_pages, deployment_pages, job_pages, signin
from gateway.web.context import DemoSignIn, WebState
from gateway.web.csrf import CsrfTokens
from gateway.web.errors import WebRoute, error_page
from gateway.web.pages import STATIC, Pages

_fallback = APIRouter(route_class=WebRoute, include_in_schema=False)


@_fallback.get("/ui", name="ui_root")
async def ui_root(request: Request) -> Response:
    prefix = root_path(request, request.app.state.edges.settings)
    return RedirectResponse(prefix + "/ui/", status_code=307)


@_fallback.api_route("/ui/{rest:path}", methods=["GET", "POST"], name="ui_not_found")
async def ui_not_found(request: Request, rest: str) -> Response:
    return error_page(request, NotFound("There is no such page."))


def install_web(app: FastAPI, *, dev_login: DemoSignIn | None) -> None:
    """Routes now; the state (which needs the settings) comes from ``web_state_for`` in the lifespan."""
    app.include_router(catalog_pages.router)
    app.include_router(deployment_pages.router)
    app.include_router(job_pages.router)
    if dev_login is not None:
        app.include_router(signin.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui_static")
    app.include_router(_fallback)


def web_state_for(settings: Settings, dev_login: DemoSignIn | None) -> WebState:
    if settings.ui_dev_login and dev_login is None:
        raise RuntimeError("ui_dev_login is set but no development issuer was given (gateway dev "
                           "gives one; gateway serve never does).")
    # One key per process when none is configured: tokens then do not survive a restart or
    # move between replicas, which only costs a user one reload.
    secret = settings.ui_csrf_secret.get_secret_value().encode() or secrets.token_bytes(32)
    return WebState(pages=Pages(), csrf=CsrfTokens(secret), dev_login=dev_login)
