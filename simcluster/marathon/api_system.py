"""Everything under /v2 besides apps: deployments, tasks, queue, info, leader, events; /ping."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from simcluster.marathon import errors
from simcluster.marathon.api_apps import deployment_result, read_json, tasks_text
from simcluster.marathon.appinfo import queue_item, task_json
from simcluster.marathon.node import MarathonNode
from simcluster.marathon.pathid import canonical
from simcluster.marathon.scheduler import MarathonScheduler


class SystemApi:
    def __init__(self, instance: MarathonNode) -> None:
        self._instance = instance

    @property
    def _scheduler(self) -> MarathonScheduler:
        return self._instance.scheduler

    async def deployments(self, request: Request) -> Response:
        return JSONResponse([d.to_json() for d in self._scheduler.deployments.values()])

    async def delete_deployment(self, request: Request) -> Response:
        deployment_id = request.path_params["deployment_id"]
        deployment = self._scheduler.deployments.get(deployment_id)
        if deployment is None:
            return JSONResponse(
                {"message": f"DeploymentPlan {deployment_id} does not exist"}, status_code=404
            )
        scheduler = self._scheduler
        scheduler.cancel_deployments(deployment.app_id)
        if request.query_params.get("force") == "true":
            return Response(status_code=202)
        rollback = scheduler.rollback(deployment.app_id)
        if rollback is None:
            return deployment_result(deployment.id, scheduler.clock.iso_now())
        return deployment_result(rollback.id, rollback.version)

    async def tasks(self, request: Request) -> Response:
        wanted = {s.lower() for s in request.query_params.getlist("status")}
        wanted |= {s.lower() for s in request.query_params.getlist("status[]")}
        tasks = self._scheduler.all_tasks()
        if wanted:
            tasks = [t for t in tasks if t.state.value.removeprefix("TASK_").lower() in wanted]
        accept = request.headers.get("accept", "")
        if "text/plain" in accept and "json" not in accept:
            text = "".join(
                tasks_text(app, [t for t in tasks if t.spec.env.get("MARATHON_APP_ID") == app_id])
                for app_id, app in sorted(self._scheduler.apps.items())
            )
            return PlainTextResponse(text)
        return JSONResponse({"tasks": [task_json(self._scheduler, t) for t in tasks]})

    async def delete_tasks(self, request: Request) -> Response:
        body = await read_json(request)
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            raise errors.invalid_json_shape([("/ids", "error.path.missing")])
        known = {t.task_id for t in self._scheduler.all_tasks()}
        for task_id in ids:
            if task_id in known:
                self._scheduler.master.kill(task_id)
        return JSONResponse({})

    async def queue(self, request: Request) -> Response:
        unused = "lastUnusedOffers" in request.query_params.getlist("embed")
        items = [
            queue_item(self._scheduler, app, unused_offers=unused)
            for app in self._scheduler.apps.values()
        ]
        return JSONResponse({"queue": [i for i in items if i is not None]})

    async def reset_delay(self, request: Request) -> Response:
        app_id = canonical(request.path_params["app_id"])
        runtime = self._scheduler.runtime.get(app_id)
        if runtime is None:
            raise errors.app_not_found(app_id)
        runtime.not_before = 0.0
        runtime.failures = 0
        return Response(status_code=204)

    async def info(self, request: Request) -> Response:
        instance = self._instance
        config = instance.config
        body: dict[str, Any] = {
            "name": "marathon",
            "version": config.marathon_version,
            "buildref": "unknown",
            "elected": instance.is_leader,
            "leader": instance.leader_host_port(),
            "frameworkId": self._scheduler.framework_id,
            "marathon_config": {
                "master": instance.master_url,
                "features": list(config.marathon_features),
                "local_port_min": config.service_port_range[0],
                "local_port_max": config.service_port_range[1],
                "mesos_bridge_name": "mesos-bridge",
                "hostname": config.host,
                "framework_name": "marathon",
                "mesos_role": None,
                "failover_timeout": 604800,
                "task_launch_timeout": 300000,
                "mesos_leader_ui_url": instance.master_url + "/",
                "webui_url": None,
            },
            "zookeeper_config": {
                "zk": f"zk://{config.zk_hosts}{config.zk_marathon_path}" if config.zk_hosts
                else None,
                "zk_timeout": 10000,
                "zk_session_timeout": 10000,
                "zk_max_versions": 50,
            },
            "http_config": {"http_port": instance.port, "https_port": 8443},
            "event_subscriber": {"type": "http_callback", "http_endpoints": None},
        }
        return JSONResponse(body)

    async def leader(self, request: Request) -> Response:
        leader = self._instance.leader_host_port()
        if leader is None:
            return JSONResponse({"message": "There is no leader"}, status_code=404)
        return JSONResponse({"leader": leader})

    async def abdicate(self, request: Request) -> Response:
        if not self._instance.is_leader:
            return JSONResponse({"message": "There is no leader"}, status_code=404)
        self._instance.abdicate()
        return JSONResponse({"message": "Leadership abdicated"})

    async def ping(self, request: Request) -> Response:
        accept = request.headers.get("accept", "*/*")
        if "application/json" in accept and "text/plain" not in accept:
            return JSONResponse("pong")
        if accept and not any(t in accept for t in ("text/plain", "*/*", "text/*")):
            return Response(status_code=204)
        return PlainTextResponse("pong")

    async def events(self, request: Request) -> Response:
        if "text/event-stream" not in request.headers.get("accept", ""):
            return PlainTextResponse("HTTP 405 Method Not Allowed", status_code=405)
        wanted = set(request.query_params.getlist("event_type"))
        remote = request.client.host if request.client else ""
        return StreamingResponse(
            self._instance.events.stream(remote, wanted),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
