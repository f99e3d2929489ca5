"""``/v2/apps``: create, list, show, update, delete, restart, tasks, versions."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from simcluster.marathon import errors
from simcluster.marathon.appinfo import app_info, parse_embed, task_json
from simcluster.marathon.labels import parse_selector
from simcluster.marathon.normalize import assign_service_ports, normalize_app
from simcluster.marathon.pathid import canonical
from simcluster.marathon.rules import rule_violations
from simcluster.marathon.scheduler import MarathonScheduler
from simcluster.marathon.shape import shape_violations

# Fields Marathon computes; a client echoing them back must not change anything.
_COMPUTED = (
    "version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
    "deployments", "tasks", "lastTaskFailure", "taskStats", "readinessCheckResults",
)


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    return default if value is None else value.lower() == "true"


async def read_json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.malformed_json(f"Unexpected character: {exc}") from None


def deployment_result(deployment_id: str, version: str, status: int = 200) -> Response:
    return JSONResponse(
        {"version": version, "deploymentId": deployment_id},
        status_code=status,
        headers={"Marathon-Deployment-Id": deployment_id},
    )


class AppsApi:
    def __init__(
        self,
        scheduler: Callable[[], MarathonScheduler],
        features: tuple[str, ...],
        service_ports: tuple[int, int],
        max_launch_delay: int,
        *,
        legacy: bool = False,
    ) -> None:
        self._legacy = legacy
        self._scheduler = scheduler
        self._features = features
        self._service_ports = service_ports
        self._max_launch_delay = max_launch_delay

    def validated(self, body: Any, *, partial: bool = False) -> dict[str, Any]:
        shape = shape_violations(body, partial=partial)
        if shape:
            raise errors.invalid_json_shape(shape)
        app = {k: v for k, v in body.items() if k not in _COMPUTED}
        violations = rule_violations(app, self._features)
        if violations:
            raise errors.not_valid(violations)
        return normalize_app(app, max_launch_delay=self._max_launch_delay)

    def _taken_ports(self, except_id: str) -> set[int]:
        return {
            p["port"]
            for app_id, app in self._scheduler().apps.items()
            if app_id != except_id
            for p in app.get("portDefinitions", [])
        }

    def _locked(self, app_id: str, force: bool) -> None:
        scheduler = self._scheduler()
        running = scheduler.deployments_of(app_id)
        if running and not force:
            raise errors.app_locked([d.id for d in running])
        scheduler.cancel_deployments(app_id)

    async def list_apps(self, request: Request) -> Response:
        scheduler = self._scheduler()
        embed = parse_embed(request.query_params.getlist("embed")) | {"counts", "deployments"}
        cmd = request.query_params.get("cmd", "").lower()
        ident = request.query_params.get("id", "").lower()
        label = request.query_params.get("label")
        selector = parse_selector(label) if label else None
        out = []
        for app in sorted(scheduler.apps.values(), key=lambda a: a["id"]):
            if cmd and cmd not in (app.get("cmd") or "").lower():
                continue
            if ident and ident not in app["id"].lower():
                continue
            if selector is not None and not selector(app["labels"]):
                continue
            out.append(app_info(scheduler, app, embed))
        return JSONResponse({"apps": out})

    async def create(self, request: Request) -> Response:
        scheduler = self._scheduler()
        app = self.validated(await read_json(request))
        if app["id"] in scheduler.apps:
            raise errors.app_exists(app["id"])
        assign_service_ports(app, self._taken_ports(app["id"]), self._service_ports)
        deployment = scheduler.put_app(app, "StartApplication", config_change=True)
        scheduler.events.publish("api_post_event", {"clientIp": _client(request), "uri":
                                 f"/v2/apps{app['id']}", "appDefinition": app})
        body = app_info(scheduler, app, {"counts"})
        body["deployments"] = [{"id": deployment.id}]
        if self._legacy:
            body["tasks"] = []  # 1.5 wrote an empty task list; 1.11 omits it
        return JSONResponse(
            body,
            status_code=201,
            headers={"Location": app["id"], "Marathon-Deployment-Id": deployment.id},
        )

    async def show(self, request: Request, app_id: str) -> Response:
        scheduler = self._scheduler()
        if app_id.endswith("/*"):
            group = app_id[:-2].rstrip("/") + "/"
            apps = [a for a in scheduler.apps.values() if a["id"].startswith(group)]
            embed = {"tasks", "lastTaskFailure", "deployments", "counts"}
            return JSONResponse({"*": [app_info(scheduler, a, embed) for a in apps]})
        app = scheduler.apps.get(app_id)
        if app is None:
            raise errors.app_not_found(app_id)
        embed = {"tasks", "lastTaskFailure", "deployments", "counts"}
        embed |= parse_embed(request.query_params.getlist("embed"))
        return JSONResponse({"app": app_info(scheduler, app, embed)})

    async def update(self, request: Request, app_id: str, *, patch: bool) -> Response:
        scheduler = self._scheduler()
        body = await read_json(request)
        if not isinstance(body, dict):
            raise errors.invalid_json_shape([("", "error.expected.jsobject")])
        existing = scheduler.apps.get(app_id)
        if existing is None and patch:
            raise errors.app_not_found(app_id)
        partial = patch or _flag(request, "partialUpdate", True)
        merged: dict[str, Any] = {}
        if existing is not None and partial:
            merged = {k: v for k, v in copy.deepcopy(existing).items() if k not in _COMPUTED}
        merged.update(body)
        merged["id"] = app_id
        app = self.validated(merged)
        self._locked(app_id, _flag(request, "force", False))
        assign_service_ports(app, self._taken_ports(app_id), self._service_ports)
        if existing is None:
            deployment = scheduler.put_app(app, "StartApplication", config_change=True)
        else:
            before = {k: v for k, v in existing.items() if k not in (*_COMPUTED, "instances")}
            after = {k: v for k, v in app.items() if k not in (*_COMPUTED, "instances")}
            changed = before != after
            action = "RestartApplication" if changed else "ScaleApplication"
            deployment = scheduler.put_app(app, action, config_change=changed)
        scheduler.events.publish("api_post_event", {"clientIp": _client(request), "uri":
                                 f"/v2/apps{app_id}", "appDefinition": app})
        return deployment_result(deployment.id, deployment.version, 201 if existing is None else 200)

    async def delete(self, request: Request, app_id: str) -> Response:
        scheduler = self._scheduler()
        if app_id not in scheduler.apps:
            raise errors.app_not_found(app_id)
        self._locked(app_id, _flag(request, "force", True))
        deployment = scheduler.remove_app(app_id)
        return deployment_result(deployment.id, deployment.version)

    async def restart(self, request: Request, app_id: str) -> Response:
        scheduler = self._scheduler()
        app = scheduler.apps.get(app_id)
        if app is None:
            raise errors.app_not_found(app_id)
        self._locked(app_id, _flag(request, "force", False))
        deployment = scheduler.put_app(
            copy.deepcopy(app), "RestartApplication", config_change=True
        )
        return deployment_result(deployment.id, deployment.version)

    async def tasks(self, request: Request, app_id: str) -> Response:
        scheduler = self._scheduler()
        app = scheduler.apps.get(app_id)
        if app is None:
            raise errors.app_not_found(app_id)
        tasks = scheduler.tasks_of(app_id)
        if "text/plain" in request.headers.get("accept", "") and "json" not in request.headers.get(
            "accept", ""
        ):
            return PlainTextResponse(tasks_text(app, tasks))
        return JSONResponse({"tasks": [task_json(scheduler, t) for t in tasks]})

    async def kill_tasks(self, request: Request, app_id: str, task_id: str | None) -> Response:
        scheduler = self._scheduler()
        app = scheduler.apps.get(app_id)
        if app is None:
            raise errors.app_not_found(app_id)
        tasks = scheduler.tasks_of(app_id)
        host = request.query_params.get("host")
        if task_id is not None:
            tasks = [t for t in tasks if t.task_id == task_id]
            if not tasks:
                raise errors.MarathonError(404, {"message": f"Task '{task_id}' does not exist"})
        elif host:
            tasks = [t for t in tasks if t.hostname == host]
        if _flag(request, "scale", False):
            scaled = copy.deepcopy(app)
            scaled["instances"] = max(0, app["instances"] - len(tasks))
            for task in tasks:
                scheduler.kill_task(task.task_id)
            deployment = scheduler.put_app(scaled, "ScaleApplication", config_change=False)
            return deployment_result(deployment.id, deployment.version)
        body = [task_json(scheduler, t) for t in tasks]
        for task in tasks:
            scheduler.master.kill(task.task_id)  # Marathon replaces killed tasks
        if task_id is not None:
            return JSONResponse({"task": body[0]})
        return JSONResponse({"tasks": body})

    async def versions(self, request: Request, app_id: str) -> Response:
        scheduler = self._scheduler()
        if app_id not in scheduler.apps:
            raise errors.app_not_found(app_id)
        return JSONResponse({"versions": list(reversed(scheduler.history.get(app_id, {})))})

    async def version(self, request: Request, app_id: str, version: str) -> Response:
        scheduler = self._scheduler()
        if app_id not in scheduler.apps:
            raise errors.app_not_found(app_id)
        definition = scheduler.history.get(app_id, {}).get(version)
        if definition is None:
            raise errors.MarathonError(
                404, {"message": f"App '{app_id}' does not exist in version {version}"}
            )
        return JSONResponse(definition)

    async def dispatch(self, request: Request) -> Response:
        rest = "/" + request.path_params.get("rest", "").strip("/")
        method = request.method
        if rest == "/":
            if method == "GET":
                return await self.list_apps(request)
            if method == "POST":
                return await self.create(request)
            return JSONResponse({"message": "HTTP 405 Method Not Allowed"}, status_code=405)
        segments = rest.split("/")
        if segments[-1] == "restart" and method == "POST":
            return await self.restart(request, canonical("/".join(segments[:-1])))
        if segments[-1] == "versions" and method == "GET":
            return await self.versions(request, canonical("/".join(segments[:-1])))
        if len(segments) > 2 and segments[-2] == "versions" and method == "GET":
            return await self.version(request, canonical("/".join(segments[:-2])), segments[-1])
        if "tasks" in segments[1:]:
            index = len(segments) - 1 - segments[::-1].index("tasks")
            app_id = canonical("/".join(segments[:index]))
            task_id = "/".join(segments[index + 1 :]) or None
            if method == "GET" and task_id is None:
                return await self.tasks(request, app_id)
            if method == "DELETE":
                return await self.kill_tasks(request, app_id, task_id)
        app_id = canonical(rest)
        if method == "GET":
            return await self.show(request, app_id)
        if method in ("PUT", "PATCH"):
            return await self.update(request, app_id, patch=method == "PATCH")
        if method == "DELETE":
            return await self.delete(request, app_id)
        return JSONResponse({"message": "HTTP 405 Method Not Allowed"}, status_code=405)


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def tasks_text(app: dict[str, Any], tasks: list[Any]) -> str:
    lines = []
    for index, definition in enumerate(app.get("portDefinitions", [])):
        hosts = " ".join(f"{t.hostname}:{t.ports[index]}" for t in tasks if len(t.ports) > index)
        lines.append(f"{app['id']}\t{definition['port']}\t{hosts}\t")
    return "\n".join(lines) + ("\n" if lines else "")
