"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from gateway.auth.bearer import bearer_token_from_request
from gateway.edges import Edges
from gateway.identity import Identity

# Only documents the scheme in OpenAPI; auto_error=False because FastAPI versions differ on
# 401 vs 403 for a missing header. The header is parsed by bearer_token_from_request.
_openapi_bearer = HTTPBearer(auto_error=False, description="An access token from a trusted issuer.")


def get_edges(request: Request) -> Edges:
    edges: Edges = request.app.state.edges
    return edges


EdgesDep = Annotated[Edges, Depends(get_edges)]


async def current_identity(request: Request, edges: EdgesDep,
                           _doc: Annotated[object, Depends(_openapi_bearer)] = None) -> Identity:
    """The verified caller. Identity headers a client sends are never looked at."""
    token = bearer_token_from_request(request.headers.getlist("authorization"),
                                      request.query_params)
    return await edges.verifier.verify(token)


CurrentUser = Annotated[Identity, Depends(current_identity)]
