"""Mesos master state and agent sandboxes: which tasks a framework ran, and their stdout/stderr.

The master (leader, found like the other schedulers) knows every task, active and completed, and
on which agent it ran; the agent knows the sandbox directory and serves its files through
``/files/read``. Used for deployment logs and, by the jobs side, for job logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from gateway.errors import NotFound, UpstreamError, UpstreamUnavailable
from gateway.upstreams.upstream import UpstreamClient, observed

SandboxFileName = Literal["stdout", "stderr"]
# The agent's libprocess id, e.g. "slave(1)@10.0.0.7:5051".
_AGENT_PID = re.compile(r"@(?P<host>[^:@]+):(?P<port>\d+)$")
MAX_READ = 1024 * 1024


@dataclass(frozen=True)
class MesosTask:
    id: str
    name: str
    framework_id: str
    executor_id: str
    agent_id: str
    state: str
    started_at: float | None
    active: bool


@dataclass(frozen=True)
class Sandbox:
    """Where a task's files live: the agent's base URL and the sandbox directory on it."""

    task_id: str
    agent_url: str
    directory: str


@dataclass(frozen=True)
class SandboxChunk:
    data: bytes
    offset: int  # where ``data`` starts in the file

    @property
    def end(self) -> int:
        return self.offset + len(self.data)


def mesos_has_no_leader(response: httpx.Response) -> bool:
    # A master that is not (or no longer) the leader redirects leader-only endpoints with 307, or
    # answers 503 while no leader is elected: either way the gateway's knowledge is stale.
    return response.status_code in (307, 503)


class MesosClient:
    def __init__(self, upstream: UpstreamClient, http: httpx.AsyncClient, *,
                 timeout: float = 10.0) -> None:
        self._upstream = upstream
        self._http = http
        self._timeout = timeout

    async def state(self) -> dict[str, Any]:
        response = await self._upstream.request("GET", "/master/state", idempotent=True)
        if response.status_code != 200:
            raise UpstreamError(f"The Mesos master failed to report its state "
                                f"(HTTP {response.status_code}).")
        return _json_object(response, "the Mesos master")

    async def framework_tasks(self, name: str) -> list[MesosTask]:
        """Every task the framework(s) called ``name`` ran, active first, newest first."""
        state = await self.state()
        frameworks = [f for f in _list(state, "frameworks") + _list(state, "completed_frameworks")
                      if f.get("name") == name]
        tasks = [_task(t, active=key != "completed_tasks") for f in frameworks
                 for key in ("tasks", "unreachable_tasks", "completed_tasks") for t in _list(f, key)]
        return sorted(tasks, key=lambda t: (t.active, t.started_at or 0.0), reverse=True)

    async def sandbox(self, task_id: str) -> Sandbox:
        state = await self.state()
        task = next((_task(t, active=key != "completed_tasks")
                     for f in _list(state, "frameworks") + _list(state, "completed_frameworks")
                     for key in ("tasks", "unreachable_tasks", "completed_tasks")
                     for t in _list(f, key) if t.get("id") == task_id), None)
        if task is None:
            raise NotFound("Mesos does not know this task (any more).")
        agent = next((a for a in _list(state, "slaves") if a.get("id") == task.agent_id), None)
        if agent is None:
            raise NotFound("The agent that ran this task is gone, and its sandbox with it.")
        agent_url = _agent_url(agent)
        agent_state = await self._agent_get(agent_url, "/state", params=None)
        directory = _sandbox_directory(agent_state, task)
        if directory is None:
            raise NotFound("The task's sandbox is no longer on its agent.")
        return Sandbox(task_id=task_id, agent_url=agent_url, directory=directory)

    async def read(self, sandbox: Sandbox, name: SandboxFileName, offset: int,
                   length: int) -> SandboxChunk:
        """Up to ``length`` bytes of the sandbox file from ``offset``."""
        length = max(0, min(length, MAX_READ))
        body = await self._agent_get(sandbox.agent_url, "/files/read", params={
            "path": f"{sandbox.directory}/{name}", "offset": max(offset, 0), "length": length})
        data = str(body.get("data") or "").encode("utf-8", "surrogateescape")
        return SandboxChunk(data=data[:length], offset=int(body.get("offset", offset)))

    async def size(self, sandbox: Sandbox, name: SandboxFileName) -> int:
        # Mesos answers offset=-1 with the file's length and no data.
        body = await self._agent_get(sandbox.agent_url, "/files/read",
                                     params={"path": f"{sandbox.directory}/{name}", "offset": -1})
        return int(body.get("offset", 0))

    async def _agent_get(self, agent_url: str, path: str, params: Any) -> dict[str, Any]:
        try:
            with observed(self._upstream.observe, "mesos-agent", "GET", path) as call:
                response = await self._http.get(agent_url + path, params=params,
                                                headers={"Accept": "application/json"},
                                                timeout=self._timeout)
                call.status = response.status_code
        except httpx.TransportError:
            raise UpstreamUnavailable("The Mesos agent that runs this task does not answer.",
                                      extra={"scheduler": "mesos-agent"}) from None
        if response.status_code == 404:
            raise NotFound("The file is not in the task's sandbox (yet).")
        if response.status_code != 200:
            raise UpstreamError(f"The Mesos agent failed (HTTP {response.status_code}).")
        return _json_object(response, "the Mesos agent")


def _json_object(response: httpx.Response, who: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise UpstreamError(f"{who[0].upper()}{who[1:]} answered with something that is not JSON.") \
            from None
    if not isinstance(data, dict):
        raise UpstreamError(f"{who[0].upper()}{who[1:]} answered with an unexpected document.")
    return data


def _list(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = document.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _task(task: dict[str, Any], *, active: bool) -> MesosTask:
    statuses = _list(task, "statuses")
    running = [s.get("timestamp") for s in statuses if s.get("state") == "TASK_RUNNING"]
    first = running[0] if running else (statuses[0].get("timestamp") if statuses else None)
    return MesosTask(
        id=str(task.get("id", "")), name=str(task.get("name", "")),
        framework_id=str(task.get("framework_id", "")),
        executor_id=str(task.get("executor_id") or ""),
        agent_id=str(task.get("slave_id") or task.get("agent_id") or ""),
        state=str(task.get("state", "TASK_UNKNOWN")),
        started_at=float(first) if isinstance(first, int | float) else None, active=active)


def _agent_url(agent: dict[str, Any]) -> str:
    match = _AGENT_PID.search(str(agent.get("pid", "")))
    if match:
        return f"http://{match['host']}:{match['port']}"
    hostname, port = agent.get("hostname"), agent.get("port", 5051)
    if not hostname:
        raise UpstreamError("The Mesos master reports an agent without an address.")
    return f"http://{hostname}:{port}"


def _sandbox_directory(agent_state: dict[str, Any], task: MesosTask) -> str | None:
    # The command executor's id is the task id; custom executors list their tasks.
    executor_id = task.executor_id or task.id
    for framework in _list(agent_state, "frameworks") + _list(agent_state, "completed_frameworks"):
        if framework.get("id") != task.framework_id:
            continue
        for executor in _list(framework, "executors") + _list(framework, "completed_executors"):
            task_ids = {t.get("id") for key in ("tasks", "queued_tasks", "completed_tasks")
                        for t in _list(executor, key)}
            if executor.get("id") == executor_id or task.id in task_ids:
                directory = executor.get("directory")
                return str(directory) if directory else None
    return None
