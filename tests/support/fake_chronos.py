"""A scripted Chronos 3 + Mesos master + agent behind httpx.MockTransport.

For job API tests that need exact control over Chronos' answers (its 400-for-not-found with a
stack trace, HTML 500s, silently dropped jobs) and over which runs Mesos remembers. Scheduling
itself is tested end to end against the simulated cluster.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

CHRONOS = "http://chronos.test"
MESOS = "http://mesos.test"
MARATHON = "http://marathon.test"  # no apps: only asked for quota usage
AGENT = "http://agent.test:5051"
FRAMEWORK_ID = "fw-chronos-0001"
HTML_500 = "<html><body><h2>HTTP ERROR 500</h2><pre>java.lang.NullPointerException</pre></body></html>"


def _stack_trace(message: str) -> str:
    return (f"java.lang.IllegalArgumentException: requirement failed: {message}\n"
            "\tat scala.Predef$.require(Predef.scala:224)\n"
            "\tat org.apache.mesos.chronos.scheduler.api.JobManagementResource.trigger(...)")


class FakeChronos:
    def __init__(self) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.states: dict[str, str] = {}  # summary state by job name
        self.calls: list[tuple[str, str]] = []  # (method, path) of every Chronos call
        self.posted: list[dict[str, Any]] = []
        self.refuse_next: httpx.Response | None = None
        self.tasks: list[dict[str, Any]] = []  # Mesos tasks of the Chronos framework
        self.files: dict[str, bytes] = {}
        self.other: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None
        self.on_run: Callable[[str], None] | None = None  # what a manual run does, per test
        self.reads_before_agent_fails: int | None = None  # then /files/read answers 500
        self.on_summary: Callable[[], None] | None = None  # what happens as the summary is read

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(CHRONOS):
            self.calls.append((request.method, request.url.path))
            if self.refuse_next is not None:
                response, self.refuse_next = self.refuse_next, None
                return response
            return self._chronos(request)
        if url.startswith(MARATHON):
            return httpx.Response(200, json={"apps": [], "queue": []})
        if url.startswith(MESOS):
            return httpx.Response(200, json=self._master_state())
        if url.startswith(AGENT):
            return self._agent(request)
        assert self.other is not None, f"unexpected call to {url}"
        return await self.other(request)

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [call for call in self.calls if call[0] != "GET"]

    # -- Chronos ------------------------------------------------------------------------------

    def _chronos(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path.removeprefix("/v1/scheduler")
        if method == "POST" and path in ("/iso8601", "/dependency"):
            job = json.loads(request.content)
            if ("parents" in job) != (path == "/dependency"):
                return httpx.Response(500, text=HTML_500)
            self.posted.append(job)
            # Chronos persists a job with a missing parent, then drops it from its graph.
            if all(parent in self.jobs for parent in job.get("parents", [])):
                self.jobs[job["name"]] = {"successCount": 0, "errorCount": 0, "lastSuccess": "",
                                          "lastError": "", **job}
            return httpx.Response(204)
        if method == "GET" and path == "/jobs":
            return httpx.Response(200, json=list(self.jobs.values()))
        if method == "GET" and path == "/jobs/summary":
            if self.on_summary is not None:
                self.on_summary()
            return httpx.Response(200, json={"jobs": [
                {"name": name, "status": "fresh", "state": self.states.get(name, "idle"),
                 "schedule": job.get("schedule", ""), "parents": job.get("parents", []),
                 "disabled": job.get("disabled", False)} for name, job in self.jobs.items()]})
        if path.startswith("/task/kill/") and method == "DELETE":
            return self._existing(path.removeprefix("/task/kill/"), 204)
        if path.startswith("/job/"):
            name = path.removeprefix("/job/")
            if method == "GET":
                return self._existing(name, 200)
            if method == "PUT":
                response = self._existing(name, 204)
                if response.status_code == 204 and self.on_run is not None:
                    self.on_run(name)
                return response
            if method == "DELETE":
                response = self._existing(name, 204)
                self.jobs.pop(name, None)
                return response
        return httpx.Response(404, text="<html>Not Found</html>")

    def _existing(self, name: str, status: int) -> httpx.Response:
        job = self.jobs.get(name)
        if job is None:
            return httpx.Response(400, json={"status": "Bad Request",
                                             "message": _stack_trace(f"Job '{name}' not found")})
        return httpx.Response(status, json=job) if status == 200 else httpx.Response(status)

    # -- Mesos --------------------------------------------------------------------------------

    def add_run(self, job_name: str, state: str, *, due_ms: int = 1_764_417_600_000,
                attempt: int = 0, stdout: bytes = b"", message: str = "") -> str:
        """A run of the job as the Mesos master reports it (active unless terminal)."""
        task_id = f"ct:{due_ms}:{attempt}:{job_name}:"
        statuses = [{"state": "TASK_RUNNING", "timestamp": due_ms / 1000 + 2}]
        if state != "TASK_RUNNING":
            statuses.append({"state": state, "timestamp": due_ms / 1000 + 60, "message": message})
        self.tasks.append({"id": task_id, "name": f"ChronosTask:{job_name}",
                           "framework_id": FRAMEWORK_ID, "executor_id": "", "slave_id": "agent-1",
                           "state": state, "statuses": statuses})
        self.files[f"/sandbox/{task_id}/stdout"] = stdout
        self.files[f"/sandbox/{task_id}/stderr"] = b""
        return task_id

    def _master_state(self) -> dict[str, Any]:
        active = [t for t in self.tasks if t["state"] in ("TASK_RUNNING", "TASK_STAGING")]
        done = [t for t in self.tasks if t not in active]
        return {"frameworks": [{"id": FRAMEWORK_ID, "name": "chronos", "tasks": active,
                                "completed_tasks": done}],
                "slaves": [{"id": "agent-1", "pid": "slave(1)@agent.test:5051",
                            "hostname": "agent.test"}]}

    def _agent(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/state":
            executors = [{"id": t["id"], "directory": f"/sandbox/{t['id']}",
                          "tasks": [{"id": t["id"]}]} for t in self.tasks]
            return httpx.Response(200, json={"frameworks": [
                {"id": FRAMEWORK_ID, "executors": executors, "completed_executors": []}]})
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
            return httpx.Response(200, json={"data": "", "offset": len(content)})
        length = int(params.get("length", len(content)))
        return httpx.Response(200, json={"data": content[offset:offset + length].decode(),
                                         "offset": offset})
