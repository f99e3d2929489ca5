"""Errors as pages: a sentence and a way on, never JSON or a traceback.

``WebRoute`` wraps every UI route (its dependencies included): the services' ``GatewayError``
becomes an error page with its own status, a refused token sends the user through login again,
and anything unexpected is logged and shown as a plain apology.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from gateway.errors import GatewayError, NotFound
from gateway.web.context import DEV_COOKIE, SignInRequired, page_context

log = logging.getLogger(__name__)


def error_page(request: Request, error: GatewayError) -> Response:
    ui = page_context(request, request.app.state.edges, None)
    return ui.render("error.html", status=error.status, title=error.title, detail=error.detail)


def sign_in_again(request: Request, reason: str) -> Response:
    ui = page_context(request, request.app.state.edges, None)
    if ui.dev_login:
        response: Response = RedirectResponse(ui.url("dev_login_page"), status_code=303)
        response.delete_cookie(DEV_COOKIE, path=ui.prefix + "/ui")
        return response
    return ui.render("signin.html", status=401, reason=reason,
                     target=ui.signin_url or ui.url("ui_home"), automatic=bool(ui.signin_url),
                     headers={"WWW-Authenticate": 'Bearer realm="gateway"'})


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def as_page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                return sign_in_again(request, str(exc))
            except GatewayError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return error_page(request, NotFound("There is no such page."))
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_page(request, GatewayError(
                    "Something went wrong on our side. It has been logged; please try again."))

        return as_page
