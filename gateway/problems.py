"""The one place where exceptions become HTTP answers (problem+json)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.api.routing import allowed_methods
from gateway.errors import PROBLEM_JSON, GatewayError, InvalidInput

log = logging.getLogger(__name__)


def problem_response(error: GatewayError, request: Request) -> JSONResponse:
    return JSONResponse(error.problem(instance=request.url.path), status_code=error.status,
                        headers=error.headers, media_type=PROBLEM_JSON)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the submitted values back: they may hold passwords.
        errors = [{"field": _field_name(e.get("loc", ())), "message": str(e.get("msg", ""))}
                  for e in exc.errors()]
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(InvalidInput(f"The request is not valid: {fields}.", errors),
                                request)

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
