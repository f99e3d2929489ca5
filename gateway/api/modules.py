"""/v1/modules: the catalog users deploy from, with the hardware they may ask for."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.deps import CurrentUser, EdgesDep
from gateway.catalog import Module
from gateway.errors import NotFound
from gateway.models import Page

router = APIRouter(prefix="/v1/modules", tags=["modules"])


@router.get("", response_model=Page[Module], summary="The module catalog")
async def list_modules(user: CurrentUser, edges: EdgesDep) -> Page[Module]:
    return Page[Module](items=list(edges.catalog.modules))


@router.get("/{name}", response_model=Module, summary="One module")
async def get_module(name: str, user: CurrentUser, edges: EdgesDep) -> Module:
    module = edges.catalog.get(name)
    if module is None:
        raise NotFound(f"There is no module {name!r} in the catalog.")
    return module
