"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.api.deps import EdgesDep
from gateway.discovery.source import SCHEDULERS

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve: every scheduler leader is known",
            responses={503: {"description": "Some leader is unknown"}})
async def readyz(edges: EdgesDep) -> JSONResponse:
    status: dict[str, Any] = edges.leaders.status()
    missing = [name for name in SCHEDULERS if edges.leaders.leader(name) is None]
    ready = not missing
    body = {"status": "ready" if ready else "not_ready", "missing_leaders": missing, **status}
    return JSONResponse(body, status_code=200 if ready else 503)
