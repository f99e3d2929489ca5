"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from gateway.auth import bearer_token
from gateway.edges import Edges
from gateway.identity import Identity

# Only documents the scheme in OpenAPI; the header is parsed by bearer_token (RFC 6750 rules).
_openapi_bearer = HTTPBearer(auto_error=False, description="An access token from a trusted issuer.")


def get_edges(request: Request) -> Edges:
    edges: Edges = request.app.state.edges
    return edges


EdgesDep = Annotated[Edges, Depends(get_edges)]


async def current_identity(request: Request, edges: EdgesDep,
                           _doc: Annotated[object, Depends(_openapi_bearer)] = None) -> Identity:
    token = bearer_token(request.headers.get("authorization"))
    return await edges.verifier.verify(token)


CurrentUser = Annotated[Identity, Depends(current_identity)]
