"""Route plumbing every /v1 router shares: authentication before the body, and 405's Allow.

FastAPI reads and parses a request's body before it solves the route's dependencies, so a
malformed body would be answered 422 to a caller without a token, and an anonymous caller could
make the gateway parse whatever it sends. ``AuthenticatedRoute`` verifies the bearer token first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from gateway.auth.bearer import bearer_token_from_request
from gateway.config import Settings
from gateway.identity import Identity
from gateway.root_path import root_path


async def authenticate(request: Request) -> Identity:
    """The verified caller (once per request). Identity headers a client sends are never read."""
    known: Identity | None = getattr(request.state, "identity", None)
    if known is None:
        token = bearer_token_from_request(request.headers.getlist("authorization"),
                                          request.query_params)
        known = await request.app.state.edges.verifier.verify(token)
        request.state.identity = known
    return known


def answer_created(response: Response, request: Request, settings: Settings, path: str, *,
                   replayed: bool) -> None:
    """Where a new resource is (under the proxy's path prefix), and whether this answer replays
    the first attempt of an idempotent create."""
    response.headers["Location"] = root_path(request, settings) + path
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


class AuthenticatedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def authenticated_first(request: Request) -> Response:
            await authenticate(request)
            return await handle(request)

        return authenticated_first


def allowed_methods(request: Request, fallback: str) -> str:
    """Every method the API serves at the request's path, for a 405's ``Allow``.

    Starlette names only the first route whose path matched, while several routes (GET and
    POST on a collection) usually share one path. Read from the OpenAPI paths, which every
    FastAPI version lays out the same way (its route tree does not); ``fallback`` for paths
    outside the document.
    """
    methods: set[str] = set()
    for pattern, path_methods in _path_methods(request.app).items():
        if pattern.fullmatch(request.url.path):
            methods |= path_methods
    return ", ".join(sorted(methods)) if methods else fallback


_METHODS_CACHE = "_allowed_methods_by_path"


def _path_methods(app: FastAPI) -> dict[re.Pattern[str], set[str]]:
    cached: dict[re.Pattern[str], set[str]] | None = getattr(app.state, _METHODS_CACHE, None)
    if cached is None:
        cached = {}
        for path, operations in app.openapi().get("paths", {}).items():
            methods = {method.upper() for method in operations if method.upper() in _HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")
            cached[compile_path(path)[0]] = methods
        setattr(app.state, _METHODS_CACHE, cached)
    return cached


_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})
