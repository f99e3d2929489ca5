"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
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


@dataclass(frozen=True)
class Listing:
    """The paging and scope parameters every list route takes."""

    everyone: bool
    limit: int
    cursor: str | None


def listing(
    all_users: Annotated[bool, Query(alias="all", description="Admins: everyone's")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")]
    = None,
) -> Listing:
    return Listing(everyone=all_users, limit=limit, cursor=cursor)


ListingDep = Annotated[Listing, Depends(listing)]
