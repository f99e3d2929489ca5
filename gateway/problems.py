"""The one place where exceptions become HTTP answers (problem+json)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.api.routing import allowed_methods
from gateway.errors import PROBLEM_JSON, GatewayError, InvalidInput
from gateway.models.messages import field_errors, json_syntax_error

log = logging.getLogger(__name__)


def problem_response(error: GatewayError, request: Request) -> JSONResponse:
    return JSONResponse(error.problem(instance=request.url.path), status_code=error.status,
                        headers=error.headers, media_type=PROBLEM_JSON)


def _body_model(request: Request) -> type[BaseModel] | None:
    """The pydantic model of the route's body, so a misspelt field can be matched to a real one."""
    body_field = getattr(request.scope.get("route"), "body_field", None)
    annotation = getattr(getattr(body_field, "field_info", None), "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
        else None


def _validation_problem(request: Request, exc: RequestValidationError) -> InvalidInput:
    raw = list(exc.errors())
    syntax = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if syntax is not None:
        position = syntax["loc"][-1] if isinstance(syntax["loc"][-1], int) else 0
        detail = json_syntax_error(exc.body, position, str((syntax.get("ctx") or {}).get(
            "error", "it cannot be read")))
        return InvalidInput(detail, [{"field": "body", "message": detail}])
    # Never echo the submitted values back: they may hold passwords.
    errors = field_errors(raw, _body_model(request))
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return InvalidInput(f"The request is not valid: {fields}.", errors)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(request, exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = GatewayError(str(exc.detail), headers=dict(exc.headers or {}))
        if exc.status_code == 405:
            error.headers["Allow"] = allowed_methods(request, error.headers.get("Allow", ""))
        error.status = exc.status_code
        error.code = {404: "not_found", 405: "method_not_allowed",
                      413: "payload_too_large"}.get(exc.status_code, "http_error")
        error.title = error.code.replace("_", " ").capitalize()
        return problem_response(error, request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(GatewayError("An unexpected error occurred."), request)
