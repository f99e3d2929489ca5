"""Liveness and readiness.

Readiness means every scheduler's leader is known. While ZooKeeper is briefly unreachable the
gateway stays ready with the last known leaders (most calls still work, and taking every replica
out of the load balancer at once would turn a ZooKeeper blip into an outage) and says so.
"""

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
            description="Reports the ZooKeeper connection (when used) and each leader with how "
                        "long it has been known. 503 while any leader is unknown.",
            responses={503: {"description": "Some leader is unknown"}})
async def readyz(edges: EdgesDep) -> JSONResponse:
    status: dict[str, Any] = edges.leaders.status()
    missing = [name for name in SCHEDULERS if edges.leaders.leader(name) is None]
    body: dict[str, Any] = {"status": "not_ready" if missing else "ready",
                            "missing_leaders": missing, **status}
    details = [status["detail"]] if status.get("detail") else []
    if missing:
        leaders = status.get("leaders", {})
        reasons = [f"{name} ({leaders[name]['problem']})"
                   if isinstance(leaders.get(name), dict) and "problem" in leaders[name] else name
                   for name in missing]
        details.insert(0, "No leader is known for " + ", ".join(reasons) + ".")
    if details:
        body["detail"] = " ".join(details)
    return JSONResponse(body, status_code=503 if missing else 200,
                        headers={"Cache-Control": "no-store"})
