"""Liveness and readiness.

Readiness means the leader of every configured scheduler is known (with static URLs, one left
empty is not used: e.g. a gateway for services only, without Chronos) and each scheduler was
reached at least once (gateway/readiness.py: nothing may listen at a configured URL). While
ZooKeeper is
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
from gateway.readiness import schedulers_in_use

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve: every scheduler's leader is known and was reached",
            description="Reports the ZooKeeper connection (when used), each leader with how "
                        "long it has been known, and the schedulers not reached yet. 503 while "
                        "any leader is unknown or any scheduler was never reached.",
            responses={503: {"description": "Some leader is unknown or was never reached"}})
async def readyz(edges: EdgesDep) -> JSONResponse:
    status: dict[str, Any] = edges.leaders.status()
    settings = edges.settings
    used = schedulers_in_use(settings)
    missing = [name for name in used if edges.leaders.leader(name) is None]
    unreached = await edges.reachability.unreached(used) if edges.reachability else {}
    ready = not missing and not unreached
    body: dict[str, Any] = {"status": "ready" if ready else "not_ready",
                            "missing_leaders": missing, "unreached": unreached,
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
    if unreached:
        details.insert(0, "Not reached yet: " + "; ".join(
            f"{name} ({problem})" for name, problem in unreached.items()) + ".")
    if details:
        body["detail"] = " ".join(details)
    return JSONResponse(body, status_code=200 if ready else 503,
                        headers={"Cache-Control": "no-store"})
