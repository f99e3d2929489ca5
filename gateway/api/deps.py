"""Annotated dependencies shared by the routers: the edges, the services, the caller, paging.

The services are built once, in the lifespan; see gateway/services.py for the contract.
Dependencies are ``async def`` even when they never wait: FastAPI runs a plain ``def`` one in a
worker thread, a thread hop per dependency per request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPBearer

from gateway.api.routing import authenticate
from gateway.deployments import Deployments
from gateway.edges import Edges, Services
from gateway.errors import UpstreamUnavailable
from gateway.identity import Identity
from gateway.jobs import Jobs

# Only documents the scheme in OpenAPI; auto_error=False because FastAPI versions differ on
# 401 vs 403 for a missing header. The header is parsed by bearer_token_from_request.
_openapi_bearer = HTTPBearer(auto_error=False, description="An access token from a trusted issuer.")


async def get_edges(request: Request) -> Edges:
    edges: Edges = request.app.state.edges
    return edges


EdgesDep = Annotated[Edges, Depends(get_edges)]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_deployments(request: Request) -> Deployments:
    return get_services(request).deployments


async def get_jobs(request: Request) -> Jobs:
    jobs = get_services(request).jobs
    if jobs is None:
        raise UpstreamUnavailable("Jobs need Chronos, which is not configured.", retry_after=None)
    return jobs


DeploymentsDep = Annotated[Deployments, Depends(get_deployments)]
IdempotencyKey = Annotated[str | None, Header(
    description="Retries with the same key return what the first attempt made.",
    max_length=255)]
JobsDep = Annotated[Jobs, Depends(get_jobs)]


async def get_draining(request: Request) -> asyncio.Event:
    """Set once the server shuts down: open log follows end themselves."""
    draining: asyncio.Event = request.app.state.draining
    return draining


DrainingDep = Annotated[asyncio.Event, Depends(get_draining)]


async def current_identity(request: Request,
                           _doc: Annotated[object, Depends(_openapi_bearer)] = None) -> Identity:
    """The verified caller (AuthenticatedRoute verified it before the body was read)."""
    return await authenticate(request)


CurrentUser = Annotated[Identity, Depends(current_identity)]


# The list routes' paging limits (gateway/api/list_front.py answers within the same ones).
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_CURSOR = 200


@dataclass(frozen=True)
class Listing:
    """The paging and scope parameters every list route takes."""

    everyone: bool
    limit: int
    cursor: str | None


async def listing(
    all_users: Annotated[bool, Query(alias="all", description="Admins: everyone's")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR,
                                        description="`next` of the previous page")]
    = None,
) -> Listing:
    return Listing(everyone=all_users, limit=limit, cursor=cursor)


ListingDep = Annotated[Listing, Depends(listing)]
