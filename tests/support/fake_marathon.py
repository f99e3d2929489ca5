"""A small in-memory Marathon + Mesos master + agent behind httpx.MockTransport.

For API tests that need exact control over upstream answers (a refusal, a lost connection,
a sandbox's content). End-to-end behaviour is tested against the simulated cluster instead.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

MARATHON = "http://marathon.test"
MESOS = "http://mesos.test"
AGENT = "http://agent.test:5051"
FRAMEWORK_ID = "fw-marathon-0001"


class FakeCluster:
    def __init__(self) -> None:
        self.apps: dict[str, dict[str, Any]] = {}
        self.refuse_with: tuple[int, dict[str, Any]] | None = None
        # The answers of the next POSTs (made or refused) are lost with these errors, in turn.
        self.lost_post_answers: list[httpx.TransportError] = []
        # Called with the next POST's app before Marathon looks at it (e.g. another app takes
        # its id, or the request is lost on the way by raising).
        self.before_next_post: Callable[[dict[str, Any]], None] | None = None
        self.posts = 0
        self.updates = 0
        self.files: dict[str, bytes] = {}  # "<directory>/stdout" -> content
        self.completed: list[dict[str, Any]] = []  # tasks Marathon no longer lists
        self.reads_before_agent_fails: int | None = None  # then /files/read answers 500
        self._next_port = 10000
        self.other: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(MARATHON):
            return self._marathon(request)
        if url.startswith(MESOS):
            return self._json(200, self._master_state())
        if url.startswith(AGENT):
            return self._agent(request)
        assert self.other is not None, f"unexpected call to {url}"
        return await self.other(request)

    # -- Marathon -----------------------------------------------------------------------------

    def _marathon(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/v2/apps" and method == "POST":
            answer = self._create(json.loads(request.content))
            if self.lost_post_answers:
                raise self.lost_post_answers.pop(0)
            return answer
        if path == "/v2/apps" and method == "GET":
            selector = request.url.params.get("label", "")
            return self._json(200, {"apps": [a for a in self.apps.values()
                                             if _matches(a["labels"], selector)]})
        if path == "/v2/queue":
            return self._json(200, {"queue": []})
        restart = path.endswith("/restart")
        app_id = path.removeprefix("/v2/apps").removesuffix("/restart")
        app = self.apps.get(app_id)
        if app is None:
            return self._json(404, {"message": f"App '{app_id}' does not exist"})
        if method == "GET":
            return self._json(200, {"app": app})
        if method == "DELETE":
            del self.apps[app_id]
            self._remove_task(app)
        elif method == "PUT":  # a partial update: the given fields replace the app's
            app.update(json.loads(request.content))
            self.updates += 1
        elif restart:
            self._remove_task(app)
            self._start_task(app)
        return self._json(200, {"version": "2026-11-29T12:00:00Z", "deploymentId": "d-1"})

    def _create(self, app: dict[str, Any]) -> httpx.Response:
        self.posts += 1
        before, self.before_next_post = self.before_next_post, None
        if before is not None:
            before(app)
        if self.refuse_with is not None:
            return self._json(*self.refuse_with)
        if app["id"] in self.apps:
            return self._json(409, {"message": f"An app with id [{app['id']}] already exists."})
        for definition in app.get("portDefinitions", []):
            definition["port"], self._next_port = self._next_port, self._next_port + 1
        app.update(tasksStaged=0, tasksUnhealthy=0, deployments=[], tasks=[])
        self.apps[app["id"]] = app
        self._start_task(app)
        return self._json(201, app)

    def _start_task(self, app: dict[str, Any]) -> None:
        task_id = f"{app['id'].lstrip('/').replace('/', '_')}.{uuid.uuid4()}"
        app["tasks"] = [{"id": task_id, "appId": app["id"], "host": "agent.test",
                         "state": "TASK_RUNNING", "startedAt": "2026-11-29T12:00:00.000Z",
                         "slaveId": "agent-1", "healthCheckResults": [{"alive": True}]}]
        app.update(tasksRunning=1, tasksHealthy=1)
        self.files[f"/sandbox/{task_id}/stdout"] = b"".join(
            f"line {n} of {task_id}\n".encode() for n in range(1, 201))
        self.files[f"/sandbox/{task_id}/stderr"] = b"warning: nothing to see\n"

    def _remove_task(self, app: dict[str, Any]) -> None:
        self.completed.extend(app["tasks"])
        app.update(tasks=[], tasksRunning=0, tasksHealthy=0)

    def stop_task(self, app_id: str) -> str:
        """The app's task ends (e.g. it crashed); its sandbox stays on the agent."""
        app = self.apps[app_id]
        task_id = str(app["tasks"][0]["id"])
        self._remove_task(app)
        return task_id

    # -- Mesos ---------------------------------------------------------------------------------

    def _all_tasks(self) -> list[dict[str, Any]]:
        return [t for app in self.apps.values() for t in app["tasks"]]

    def _master_state(self) -> dict[str, Any]:
        def mesos_task(task: dict[str, Any], state: str) -> dict[str, Any]:
            return {"id": task["id"], "name": task["id"], "framework_id": FRAMEWORK_ID,
                    "executor_id": "", "slave_id": "agent-1", "state": state,
                    "statuses": [{"state": "TASK_RUNNING", "timestamp": 1764417600.0}]}

        return {"frameworks": [{"id": FRAMEWORK_ID, "name": "marathon",
                                "tasks": [mesos_task(t, "TASK_RUNNING") for t in self._all_tasks()],
                                "completed_tasks": [mesos_task(t, "TASK_FAILED")
                                                    for t in self.completed]}],
                "slaves": [{"id": "agent-1", "pid": "slave(1)@agent.test:5051",
                            "hostname": "agent.test"}]}

    def _agent(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/state":
            def executor(task: dict[str, Any]) -> dict[str, Any]:
                return {"id": task["id"], "directory": f"/sandbox/{task['id']}",
                        "tasks": [{"id": task["id"]}]}

            return self._json(200, {"frameworks": [{
                "id": FRAMEWORK_ID, "executors": [executor(t) for t in self._all_tasks()],
                "completed_executors": [executor(t) for t in self.completed]}]})
        if self.reads_before_agent_fails is not None:
            if self.reads_before_agent_fails <= 0:
                return httpx.Response(500, text="agent is shutting down")
            self.reads_before_agent_fails -= 1
        params = request.url.params
        content = self.files.get(params["path"])
        if content is None:
            return httpx.Response(404)
        offset = int(params["offset"])
        if offset == -1:
            return self._json(200, {"data": "", "offset": len(content)})
        length = int(params.get("length", len(content)))
        return self._json(200, {"data": content[offset:offset + length].decode(),
                                "offset": offset})

    @staticmethod
    def _json(status: int, body: Any) -> httpx.Response:
        return httpx.Response(status, json=body)


def _matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = re.split(r"(==)", term, maxsplit=1)
        if labels.get(key) != value:
            return False
    return True
