"""The Mesos client finds a task's sandbox the way Mesos lays it out: master state -> agent ->
executor directory -> /files/read."""

import asyncio

import httpx
import pytest

from gateway.discovery import StaticLeaderSource
from gateway.errors import NotFound
from gateway.upstreams.mesos import MesosClient
from gateway.upstreams.upstream import UpstreamClient

MASTER = {
    "frameworks": [{"id": "fw-1", "name": "chronos", "tasks": [{
        "id": "ct:1:0:train:", "name": "ChronosTask:train", "framework_id": "fw-1",
        "executor_id": "", "slave_id": "S1", "state": "TASK_RUNNING",
        "statuses": [{"state": "TASK_STARTING", "timestamp": 10.0},
                     {"state": "TASK_RUNNING", "timestamp": 11.5}]}],
        "completed_tasks": [{"id": "ct:0:0:train:", "framework_id": "fw-1", "slave_id": "S2",
                             "state": "TASK_FAILED", "statuses": [
                                 {"state": "TASK_RUNNING", "timestamp": 5.0},
                                 {"state": "TASK_FAILED", "timestamp": 6.0}]}]}],
    "completed_frameworks": [{"id": "fw-0", "name": "chronos", "tasks": [], "completed_tasks": [
        {"id": "ct:old", "framework_id": "fw-0", "slave_id": "S2", "state": "TASK_FINISHED",
         "statuses": [{"state": "TASK_RUNNING", "timestamp": 1.0}]}]}],
    "slaves": [{"id": "S1", "pid": "slave(1)@10.0.0.7:5051", "hostname": "gpu-1"},
               {"id": "S2", "hostname": "cpu-2", "port": 5052}],
}
AGENTS = {
    "http://10.0.0.7:5051": {"frameworks": [{"id": "fw-1", "executors": [
        {"id": "ct:1:0:train:", "directory": "/var/lib/mesos/slaves/S1/run-1",
         "tasks": [{"id": "ct:1:0:train:"}]}]}]},
    "http://cpu-2:5052": {"completed_frameworks": [{"id": "fw-1", "completed_executors": [
        {"id": "custom-executor", "directory": "/var/lib/mesos/slaves/S2/run-0",
         "completed_tasks": [{"id": "ct:0:0:train:"}]}]}]},
}


def _handler(request: httpx.Request) -> httpx.Response:
    base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
    if request.url.path == "/master/state":
        return httpx.Response(200, json=MASTER)
    if request.url.path == "/state":
        return httpx.Response(200, json=AGENTS[base])
    path = request.url.params["path"]
    if not path.endswith("/stdout"):
        return httpx.Response(404)
    content = f"output of {path}\n"
    offset = int(request.url.params["offset"])
    if offset == -1:
        return httpx.Response(200, json={"data": "", "offset": len(content)})
    return httpx.Response(200, json={"data": content[offset:], "offset": offset})


def _run(scenario):
    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(_handler)) as http:
            leaders = StaticLeaderSource({"mesos": "http://master.test:5050"})
            return await scenario(MesosClient(UpstreamClient("mesos", http, leaders), http))

    return asyncio.run(main())


def test_framework_tasks_include_completed_ones_and_those_of_earlier_framework_ids():
    tasks = _run(lambda mesos: mesos.framework_tasks("chronos"))
    assert [(t.id, t.active) for t in tasks] == [
        ("ct:1:0:train:", True), ("ct:0:0:train:", False), ("ct:old", False)]
    assert tasks[0].started_at == 11.5 and tasks[0].agent_id == "S1"


def test_the_sandbox_is_found_through_the_agent_pid_and_read_with_files_read():
    async def scenario(mesos):
        sandbox = await mesos.sandbox("ct:1:0:train:")
        return await mesos.read(sandbox, "stdout", 0, 100), sandbox

    chunk, sandbox = _run(scenario)
    assert sandbox.agent_url == "http://10.0.0.7:5051"
    assert chunk.data == b"output of /var/lib/mesos/slaves/S1/run-1/stdout\n"
    assert chunk.offset == 0 and chunk.end == len(chunk.data)


def test_a_completed_task_of_a_custom_executor_is_found_by_hostname_and_port():
    sandbox = _run(lambda mesos: mesos.sandbox("ct:0:0:train:"))
    assert (sandbox.agent_url, sandbox.directory) == ("http://cpu-2:5052",
                                                      "/var/lib/mesos/slaves/S2/run-0")


async def _read_stderr(mesos, task_id):
    return await mesos.read(await mesos.sandbox(task_id), "stderr", 0, 10)


def test_unknown_tasks_and_missing_files_are_not_found():
    with pytest.raises(NotFound):
        _run(lambda mesos: mesos.sandbox("no-such-task"))
    with pytest.raises(NotFound, match="not in the task's sandbox"):
        _run(lambda mesos: _read_stderr(mesos, "ct:1:0:train:"))
    with pytest.raises(NotFound, match="no longer on its agent"):
        _run(lambda mesos: mesos.sandbox("ct:old"))
