"""A Mesos agent's HTTP API: /state and the files API over real sandbox directories."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from simcluster.mesos.master import MesosMaster
from simcluster.mesos.model import Task
from simcluster.mesos.state_json import agent_json, resources_json, task_json

# Mesos reads at most this much per /files/read call when no length is given (16 pages).
_DEFAULT_READ = 16 * 4096


def create_agent_app(master: MesosMaster, agent_id: str, workdir: Path) -> Starlette:
    agent = master.agents[agent_id]
    root = (workdir / "slaves" / agent_id).resolve()

    def executor_json(task: Task) -> dict[str, Any]:
        return {
            "id": task.task_id,
            "name": f"Command Executor (Task: {task.task_id}) (Command: sh -c '...')",
            "source": task.task_id,
            "container": task.container_id,
            "directory": str(task.sandbox),
            "resources": resources_json(task.spec.resources),
            "tasks": [task_json(task)] if not task.state.terminal else [],
            "queued_tasks": [],
            "completed_tasks": [task_json(task)] if task.state.terminal else [],
        }

    async def state(request: Request) -> Response:
        mine = [t for t in master.tasks() if t.agent_id == agent_id]
        done = [t for t in master.completed_tasks() if t.agent_id == agent_id]
        frameworks = []
        for fw in master.frameworks.values():
            running = [executor_json(t) for t in mine if t.framework_id == fw.framework_id]
            finished = [executor_json(t) for t in done if t.framework_id == fw.framework_id]
            if running or finished:
                frameworks.append(
                    {
                        "id": fw.framework_id,
                        "name": fw.name,
                        "user": fw.user,
                        "role": fw.role,
                        "hostname": fw.hostname,
                        "executors": running,
                        "completed_executors": finished,
                    }
                )
        body = agent_json(agent, master.version)
        body.update(
            {
                "master_hostname": master.hostname,
                "frameworks": frameworks,
                "completed_frameworks": [],
                "flags": {"work_dir": str(workdir), "port": str(agent.port)},
            }
        )
        return JSONResponse(body)

    def resolve(request: Request) -> Path | Response:
        raw = request.query_params.get("path")
        if raw is None:
            return PlainTextResponse("Expecting 'path=value' in query.\n", status_code=400)
        path = Path(raw).resolve()
        # Only sandboxes are attached to the files API; everything else does not exist.
        if not path.is_relative_to(root) or not path.exists():
            return PlainTextResponse("", status_code=404)
        return path

    async def read(request: Request) -> Response:
        path = resolve(request)
        if isinstance(path, Response):
            return path
        if path.is_dir():
            return PlainTextResponse("Cannot read a directory.\n", status_code=400)
        try:
            offset = int(request.query_params.get("offset", "-1"))
            length = int(request.query_params.get("length", "-1"))
        except ValueError as exc:
            return PlainTextResponse(f"Failed to parse offset/length: {exc}\n", status_code=400)
        size = path.stat().st_size
        if offset == -1:
            return JSONResponse({"data": "", "offset": size})
        if offset < -1:
            return PlainTextResponse("Negative offset provided.\n", status_code=400)
        if length < -1:
            return PlainTextResponse("Negative length provided.\n", status_code=400)
        count = _DEFAULT_READ if length == -1 else min(length, _DEFAULT_READ)
        with path.open("rb") as handle:
            handle.seek(min(offset, size))
            data = handle.read(count)
        return JSONResponse({"data": data.decode("utf-8", "replace"), "offset": offset})

    async def browse(request: Request) -> Response:
        path = resolve(request)
        if isinstance(path, Response):
            return path
        entries = sorted(path.iterdir()) if path.is_dir() else [path]
        listing = []
        for entry in entries:
            info = entry.stat()
            listing.append(
                {
                    "path": str(entry),
                    "nlink": info.st_nlink,
                    "size": info.st_size,
                    "mtime": int(info.st_mtime),
                    "mode": stat.filemode(info.st_mode),
                    "uid": "root",
                    "gid": "root",
                }
            )
        return JSONResponse(listing)

    async def download(request: Request) -> Response:
        path = resolve(request)
        if isinstance(path, Response):
            return path
        if path.is_dir():
            return PlainTextResponse("Cannot download a directory.\n", status_code=400)
        return FileResponse(path, filename=path.name, media_type="application/octet-stream")

    async def health(request: Request) -> Response:
        return Response(status_code=200)

    routes = [
        Route("/state", state),
        Route("/state.json", state),
        Route("/slave(1)/state", state),
        Route("/slave(1)/state.json", state),
        Route("/files/read", read),
        Route("/files/read.json", read),
        Route("/files/browse", browse),
        Route("/files/browse.json", browse),
        Route("/files/download", download),
        Route("/health", health),
    ]
    return Starlette(routes=routes)
