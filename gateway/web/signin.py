"""The development login (``gateway dev`` only) and signing out of it.

``gateway dev`` has no Apache in front, so this page stands in for mod_auth_openidc: it offers
the demo users of the development token issuer and keeps the chosen user's token in an HttpOnly,
SameSite=Strict cookie that only the UI reads (the API never accepts cookies). The routes exist
only when the dev stack hands over its issuer, and answer only while ``ui_dev_login`` is set,
which ``gateway serve`` refuses.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import EdgesDep
from gateway.errors import NotFound
from gateway.web.context import (
    DEV_COOKIE,
    FormRefused,
    PostedForm,
    UiDep,
    check_same_site,
    dev_login_enabled,
    page_context,
    read_form,
    web_state,
)
from gateway.web.errors import WebRoute

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)
COOKIE_LIFETIME = 8 * 3600


@router.get("/dev-login", name="dev_login_page")
async def dev_login_page(request: Request, edges: EdgesDep) -> Response:
    if not dev_login_enabled(request, edges):
        raise NotFound("There is no such page.")
    ui = page_context(request, edges, None)
    issuer = web_state(request).dev_login
    assert issuer is not None
    return ui.render("dev_login.html", users=issuer.demo_usernames())


@router.post("/dev-login", name="dev_login")
async def dev_login(request: Request, edges: EdgesDep) -> Response:
    """No token can bind this form to a user yet: the same-site checks are what protect it."""
    if not dev_login_enabled(request, edges):
        raise NotFound("There is no such page.")
    check_same_site(request)
    form = await read_form(request)
    issuer = web_state(request).dev_login
    assert issuer is not None
    token = issuer.demo_token_for(form.get("user"))
    if token is None:
        raise FormRefused("There is no such demo user.")
    ui = page_context(request, edges, None)
    response = RedirectResponse(ui.url("ui_home"), status_code=303)
    response.set_cookie(DEV_COOKIE, token, max_age=COOKIE_LIFETIME, path=ui.prefix + "/ui",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/dev-logout", name="dev_logout")
async def dev_logout(form: PostedForm, ui: UiDep) -> Response:
    response = RedirectResponse(ui.url("dev_login_page"), status_code=303)
    response.delete_cookie(DEV_COOKIE, path=ui.prefix + "/ui")
    return response
