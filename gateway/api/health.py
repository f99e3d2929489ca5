"""Liveness and readiness.

Readiness means the leader of every configured scheduler is known (with static URLs, one left
empty is not used: e.g. a gateway for services only, without Chronos). While ZooKeeper is
briefly unreachable the gateway stays ready with the last known leaders (most calls still work,
and taking every replica out of the load balancer at once would turn a ZooKeeper blip into an
outage) and says so.

The read view (gateway/read_view/) is reported as ``read_view``. While it is not live, reads go
to Marathon: slower but correct, so the replica stays ready (200) and says ``"degraded": true``
with the reason, rather than leaving the load balancer with fewer replicas for a slower path.
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
    settings = edges.settings
    used = [name for name in SCHEDULERS
            if settings.zk_hosts or getattr(settings, f"{name}_url")]
    missing = [name for name in used if edges.leaders.leader(name) is None]
    body: dict[str, Any] = {"status": "not_ready" if missing else "ready",
                            "missing_leaders": missing,
                            "not_configured": [name for name in SCHEDULERS if name not in used],
                            **status}
    details = [status["detail"]] if status.get("detail") else []
    if edges.read_view is not None:
        view = body["read_view"] = edges.read_view.status()
        body["degraded"] = view["state"] != "live"
        if body["degraded"]:
            details.append(f"Reads go to Marathon: the read view is {view['state']} "
                           f"({view.get('problem', 'unknown')}).")
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
