"""The web UI's dependencies: who is looking (the same bearer verification as the API), the
page context, and forms that passed the CSRF checks.

Identity comes only from ``Authorization: Bearer`` (which Apache sets from mod_auth_openidc's
session) or, in ``gateway dev`` only, from the development login's cookie; identity headers
(OIDC_CLAIM_*, X-Forwarded-User, REMOTE_USER) are never read, as in the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol
from urllib.parse import parse_qsl

from fastapi import Depends, Request

from gateway.api.deps import EdgesDep
from gateway.auth.bearer import bearer_token_from_request
from gateway.edges import Edges
from gateway.errors import GatewayError, InvalidRequest, Unauthorized
from gateway.identity import Identity
from gateway.root_path import root_path
from gateway.web.csrf import CsrfTokens, cross_site_reason
from gateway.web.pages import Pages, Ui, user_zone

DEV_COOKIE = "gateway_dev_token"
MAX_FORM_BYTES = 256 * 1024


class DemoSignIn(Protocol):
    """The development token issuer, as the dev login page sees it (gateway/devissuer.py)."""

    def demo_usernames(self) -> Sequence[str]: ...

    def demo_token_for(self, username: str) -> str | None: ...


@dataclass(frozen=True)
class WebState:
    pages: Pages
    csrf: CsrfTokens
    dev_login: DemoSignIn | None  # only given by gateway dev


class SignInRequired(Exception):
    """No token, or one that is no longer valid: the user goes through login again."""


class FormRefused(GatewayError):
    status, code, title = 403, "form_refused", "Form refused"


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def dev_login_enabled(request: Request, edges: Edges) -> bool:
    return web_state(request).dev_login is not None and edges.settings.ui_dev_login


def page_context(request: Request, edges: Edges, user: Identity | None) -> Ui:
    state = web_state(request)
    return Ui(request=request, pages=state.pages, prefix=root_path(request, edges.settings),
              user=user, csrf_token=state.csrf.issue(user.owner) if user else "",
              zone=user_zone(request), dev_login=dev_login_enabled(request, edges),
              signin_url=edges.settings.ui_signin_url)


async def signed_in_ui(request: Request, edges: EdgesDep) -> Ui:
    authorization = request.headers.getlist("authorization")
    if authorization:
        token = bearer_token_from_request(authorization, request.query_params)
    elif dev_login_enabled(request, edges) and request.cookies.get(DEV_COOKIE):
        token = request.cookies[DEV_COOKIE]
    else:
        raise SignInRequired("You are not signed in.")
    try:
        user = await edges.verifier.verify(token)
    except (Unauthorized, InvalidRequest):
        raise SignInRequired("Your sign-in has expired or is no longer valid.") from None
    return page_context(request, edges, user)


UiDep = Annotated[Ui, Depends(signed_in_ui)]


class Form:
    """An application/x-www-form-urlencoded body (no multipart: the UI uploads no files)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def get(self, name: str) -> str:
        return (self._values.get(name) or [""])[0].strip()

    def getlist(self, name: str) -> list[str]:
        return [v.strip() for v in self._values.get(name, []) if v.strip()]

    def names(self) -> list[str]:
        return list(self._values)


async def read_form(request: Request) -> Form:
    if request.headers.get("content-type", "").split(";")[0].strip() != \
            "application/x-www-form-urlencoded":
        raise FormRefused("The gateway's forms are sent as application/x-www-form-urlencoded.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRefused("The form is too large.")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=1000)
    except (UnicodeDecodeError, ValueError):
        raise FormRefused("The form could not be read.") from None
    return Form(pairs)


def check_same_site(request: Request) -> None:
    hosts = [request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")]
    reason = cross_site_reason(request.headers, hosts)
    if reason:
        raise FormRefused(f"This form was refused: {reason}. Open the page on the gateway "
                          "itself and send it from there.")


async def posted_form(ui: UiDep) -> Form:
    check_same_site(ui.request)
    form = await read_form(ui.request)
    assert ui.user is not None
    if not web_state(ui.request).csrf.valid(ui.user.owner, form.get("csrf")):
        raise FormRefused("This form was refused: it is too old or was not made by the gateway "
                          "for you. Reload the page and send it again.")
    return form


PostedForm = Annotated[Form, Depends(posted_form)]
