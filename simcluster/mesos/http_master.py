"""The Mesos master's HTTP API: /master/state, /metrics/snapshot, /redirect and friends."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from simcluster.mesos.master import MesosMaster
from simcluster.mesos.model import TaskState
from simcluster.mesos.resources import Resources
from simcluster.mesos.state_json import (
    agent_json,
    framework_json,
    master_info,
    task_json,
)


def create_master_app(master: MesosMaster) -> Starlette:
    def leader_info() -> dict[str, Any]:
        return master_info(master.master_id, master.hostname, master.port, master.version)

    async def state(request: Request) -> Response:
        info = leader_info()
        frameworks = [
            framework_json(
                fw, master.tasks(fw.framework_id), master.completed_tasks(fw.framework_id)
            )
            for fw in master.frameworks.values()
        ]
        body = {
            "version": master.version,
            "git_sha": "0" * 40,
            "git_tag": master.version,
            "build_date": "2019-10-21 12:00:00",
            "build_time": 1571659200.0,
            "build_user": "sim",
            "start_time": master.started_at,
            "elected_time": master.started_at,
            "id": master.master_id,
            "pid": info["pid"],
            "hostname": master.hostname,
            "activated_slaves": len(master.agents),
            "deactivated_slaves": 0,
            "unreachable_slaves": 0,
            "leader": info["pid"],
            "leader_info": info,
            "flags": {"filter_gpu_resources": "true", "cluster": "sim", "port": str(master.port)},
            "slaves": [agent_json(a, master.version) for a in master.agents.values()],
            "recovered_slaves": [],
            "frameworks": frameworks,
            "completed_frameworks": [],
            "orphan_tasks": [],
            "unregistered_frameworks": [],
        }
        return JSONResponse(body)

    async def slaves(request: Request) -> Response:
        agents = [agent_json(a, master.version) for a in master.agents.values()]
        return JSONResponse({"slaves": agents, "recovered_slaves": []})

    async def frameworks(request: Request) -> Response:
        body = [
            framework_json(
                fw, master.tasks(fw.framework_id), master.completed_tasks(fw.framework_id)
            )
            for fw in master.frameworks.values()
        ]
        return JSONResponse(
            {"frameworks": body, "completed_frameworks": [], "unregistered_frameworks": []}
        )

    async def tasks(request: Request) -> Response:
        everything = master.tasks() + master.completed_tasks()
        try:
            limit = int(request.query_params.get("limit", "100"))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return PlainTextResponse("Failed to parse limit or offset", status_code=400)
        chosen = everything[offset : offset + limit]
        return JSONResponse({"tasks": [task_json(t) for t in chosen]})

    async def metrics(request: Request) -> Response:
        return JSONResponse(metrics_snapshot(master))

    async def redirect(request: Request) -> Response:
        # Mesos answers with a scheme-relative Location of the leading master.
        return RedirectResponse(f"//{master.hostname}:{master.port}", status_code=307)

    async def health(request: Request) -> Response:
        return Response(status_code=200)

    async def version(request: Request) -> Response:
        return JSONResponse(
            {"version": master.version, "build_user": "sim", "git_tag": master.version}
        )

    routes = [
        Route(path, state)
        for path in ("/master/state", "/state", "/master/state.json", "/state.json")
    ] + [
        Route("/master/slaves", slaves),
        Route("/slaves", slaves),
        Route("/master/frameworks", frameworks),
        Route("/frameworks", frameworks),
        Route("/master/tasks", tasks),
        Route("/tasks", tasks),
        Route("/metrics/snapshot", metrics),
        Route("/master/redirect", redirect),
        Route("/redirect", redirect),
        Route("/master/health", health),
        Route("/health", health),
        Route("/version", version),
    ]
    return Starlette(routes=routes)


def metrics_snapshot(master: MesosMaster) -> dict[str, float]:
    total = Resources()
    used = Resources()
    for agent in master.agents.values():
        total = total + agent.total
        used = used + agent.used
    out: dict[str, float] = {}
    for name, tot, use in (
        ("cpus", total.cpus, used.cpus),
        ("mem", total.mem, used.mem),
        ("disk", total.disk, used.disk),
        ("gpus", float(total.gpus), float(used.gpus)),
    ):
        out[f"master/{name}_total"] = float(tot)
        out[f"master/{name}_used"] = float(use)
        out[f"master/{name}_percent"] = float(use / tot) if tot else 0.0
        out[f"master/{name}_revocable_total"] = 0.0
        out[f"master/{name}_revocable_used"] = 0.0
    active = master.tasks()
    completed = master.completed_tasks()
    for state in TaskState:
        key = "master/" + state.value.lower()
        out[key.replace("master/task_", "master/tasks_")] = float(
            sum(1 for t in active + completed if t.state is state)
        )
    frameworks = list(master.frameworks.values())
    n_active = sum(1 for f in frameworks if f.active)
    out.update(
        {
            "master/elected": 1.0,
            "master/uptime_secs": master.clock.now() - master.started_at,
            "master/slaves_active": float(len(master.agents)),
            "master/slaves_connected": float(len(master.agents)),
            "master/slaves_disconnected": 0.0,
            "master/slaves_inactive": 0.0,
            "master/frameworks_active": float(n_active),
            "master/frameworks_inactive": float(len(frameworks) - n_active),
            "master/frameworks_connected": float(n_active),
            "master/frameworks_disconnected": float(len(frameworks) - n_active),
        }
    )
    return out
