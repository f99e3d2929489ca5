"""/docs and /redoc: the API's interactive documentation, reading the OpenAPI document at the
address the gateway is published under (a proxy's path prefix, gateway/root_path.py), which
FastAPI's own pages would look for at the host's root."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from gateway.api.deps import EdgesDep
from gateway.root_path import root_path

router = APIRouter(include_in_schema=False)
TITLE = "GPU scheduling gateway"


@router.get("/docs")
async def swagger_ui(request: Request, edges: EdgesDep) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=_document(request, edges), title=f"{TITLE} - API")


@router.get("/redoc")
async def redoc(request: Request, edges: EdgesDep) -> HTMLResponse:
    return get_redoc_html(openapi_url=_document(request, edges), title=f"{TITLE} - API")


def _document(request: Request, edges: EdgesDep) -> str:
    return f"{root_path(request, edges.settings)}{request.app.openapi_url}"
