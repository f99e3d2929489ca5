"""/v1/modules: the catalog users deploy from, with the hardware they may ask for."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.deps import CurrentUser, EdgesDep
from gateway.api.routing import AuthenticatedRoute
from gateway.catalog import Module
from gateway.errors import NotFound
from gateway.models import Page

router = APIRouter(prefix="/v1/modules", tags=["modules"], route_class=AuthenticatedRoute)


@router.get("", response_model=Page[Module], summary="The module catalog",
            description="Every module, its images, services and the hardware a user may ask for "
                        "(`hardware.max`, already cut to the operators' limits).")
async def list_modules(user: CurrentUser, edges: EdgesDep) -> Page[Module]:
    limits = edges.templates.limits
    return Page[Module](items=[m.within(limits) for m in edges.catalog.modules])


@router.get("/{name}", response_model=Module, summary="One module",
            responses={404: {"description": "No such module"}})
async def get_module(name: str, user: CurrentUser, edges: EdgesDep) -> Module:
    module = edges.catalog.get(name)
    if module is None:
        raise NotFound(edges.catalog.unknown_module(name))
    return module.within(edges.templates.limits)
