"""Health checks really performed against the tasks' host ports.

HTTP/HTTPS/TCP are Marathon's own checks; MESOS_* are the executor's on the agent. Both end
in the same ``healthCheckResults`` here, which is what clients read. A task that fails
``maxConsecutiveFailures`` times after its grace period is killed, as Marathon does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from simcluster.marathon.scheduler import MarathonScheduler
from simcluster.mesos import Task, TaskState

log = logging.getLogger(__name__)
_TICK = 0.1


@dataclass
class _CheckState:
    next_at: float
    running: bool = False


class HealthMonitor:
    def __init__(self, scheduler: MarathonScheduler) -> None:
        self._scheduler = scheduler
        self._clock = scheduler.clock
        self._states: dict[tuple[str, int], _CheckState] = {}
        self._job: asyncio.Task[None] | None = None
        self._probes: set[asyncio.Task[None]] = set()
        self._client = httpx.AsyncClient(verify=False)  # noqa: S501 - Marathon does not verify

    def start(self) -> None:
        self._job = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._job
        for probe in list(self._probes):
            probe.cancel()
        await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                self._schedule_due()
            except Exception:
                log.exception("health monitor failed")
            await asyncio.sleep(_TICK)

    def _schedule_due(self) -> None:
        now = self._clock.now()
        seen: set[tuple[str, int]] = set()
        for app in list(self._scheduler.apps.values()):
            for task in self._scheduler.tasks_of(app["id"]):
                if task.state is not TaskState.RUNNING:
                    continue
                for index, check in enumerate(app["healthChecks"]):
                    key = (task.task_id, index)
                    seen.add(key)
                    state = self._states.get(key)
                    if state is None:
                        first = check.get("delaySeconds", 0) if "MESOS" in check["protocol"] else 0
                        state = self._states[key] = _CheckState(next_at=now + first)
                    if state.running or now < state.next_at:
                        continue
                    state.running = True
                    state.next_at = now + check["intervalSeconds"]
                    probe = asyncio.create_task(self._run(app, task, index, check, state))
                    self._probes.add(probe)
                    probe.add_done_callback(self._probes.discard)
        for key in set(self._states) - seen:
            del self._states[key]

    async def _run(
        self, app: dict[str, Any], task: Task, index: int, check: dict[str, Any], state: _CheckState
    ) -> None:
        try:
            cause = await self._probe(app, task, check)
            self._record(app, task, index, check, cause)
        except Exception:
            log.exception("health check crashed")
        finally:
            state.running = False

    async def _probe(self, app: dict[str, Any], task: Task, check: dict[str, Any]) -> str | None:
        """None when healthy, else the failure cause Marathon reports."""
        protocol = check["protocol"]
        if protocol == "COMMAND":
            return None  # a command check runs in the task; the simulated process passes it
        port = check.get("port") or (task.ports[check.get("portIndex", 0)] if task.ports else 0)
        # An accelerated clock must not shrink timeouts below what a loopback round trip needs.
        timeout = max(0.5, self._clock.real_seconds(check["timeoutSeconds"]))
        if protocol in ("TCP", "MESOS_TCP"):
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(task.hostname, port), timeout
                )
            except (OSError, TimeoutError) as exc:
                return f"ConnectException: {exc}"
            writer.close()
            return None
        scheme = "https" if protocol.endswith("HTTPS") else "http"
        url = f"{scheme}://{task.hostname}:{port}{check.get('path', '/')}"
        try:
            response = await self._client.get(url, timeout=timeout)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        ok = 200 <= response.status_code < 400 or (
            check.get("ignoreHttp1xx") and response.status_code < 200
        )
        return None if ok else f"{response.status_code} {response.reason_phrase}"

    def _record(
        self, app: dict[str, Any], task: Task, index: int, check: dict[str, Any], cause: str | None
    ) -> None:
        scheduler = self._scheduler
        if task.state is not TaskState.RUNNING:
            return
        results = scheduler.health.setdefault(task.task_id, [])
        while len(results) <= index:
            results.append(
                {
                    "alive": False,
                    "consecutiveFailures": 0,
                    "firstSuccess": None,
                    "lastSuccess": None,
                    "lastFailure": None,
                    "lastFailureCause": None,
                    "instanceId": task.task_id.rsplit("._app.", 1)[0],
                }
            )
        result = results[index]
        was_alive = result["alive"]
        now = self._clock.iso_now()
        if cause is None:
            result.update(alive=True, consecutiveFailures=0, lastSuccess=now)
            result["firstSuccess"] = result["firstSuccess"] or now
        else:
            in_grace = (
                result["firstSuccess"] is None
                and task.started_at is not None
                and self._clock.now() - task.started_at < check["gracePeriodSeconds"]
            )
            if in_grace:
                return  # failures during the grace period are ignored until a first success
            result.update(
                alive=False,
                consecutiveFailures=result["consecutiveFailures"] + 1,
                lastFailure=now,
                lastFailureCause=cause,
            )
            scheduler.events.publish(
                "failed_health_check_event",
                {"appId": app["id"], "taskId": task.task_id, "instanceId": result["instanceId"],
                 "healthCheck": check},
            )
            limit = check["maxConsecutiveFailures"]
            if limit and result["consecutiveFailures"] >= limit:
                scheduler.events.publish(
                    "unhealthy_instance_kill_event",
                    {"appId": app["id"], "taskId": task.task_id,
                     "instanceId": result["instanceId"], "version": app["version"],
                     "reason": cause, "host": task.hostname, "slaveId": task.agent_id},
                )
                scheduler.master.kill(task.task_id)
        if check["protocol"].startswith("MESOS_"):
            scheduler.master.report_health(task.task_id, result["alive"])
        if was_alive != result["alive"]:
            scheduler.events.publish(
                "health_status_changed_event",
                {"appId": app["id"], "instanceId": result["instanceId"],
                 "version": task.spec.env.get("MARATHON_APP_VERSION", ""),
                 "alive": result["alive"]},
            )
