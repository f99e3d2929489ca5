"""The leading Marathon's brain: apps, deployments, launching and killing tasks via Mesos.

Every ``_TICK`` it compares each app's target (instances of the current config version) with
the tasks the Mesos master runs for it, and launches, kills or waits following the app's
``upgradeStrategy``; a deployment succeeds when the app has converged.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from simcluster.clock import SimClock
from simcluster.marathon.deployments import Deployment
from simcluster.marathon.events import EventBus
from simcluster.marathon.pathid import task_prefix
from simcluster.marathon.store import StateBackend
from simcluster.marathon.taskinfo import task_spec_for
from simcluster.mesos import MesosMaster, StatusUpdate, Task, TaskState

log = logging.getLogger(__name__)
_TICK = 0.1
# Marathon launches gradually; without a bound, ``instances: 100000`` would flood the master.
_MAX_PENDING_PER_APP = 32
_MAX_VERSIONS = 50


@dataclass
class AppRuntime:
    """What the leader knows about an app beyond its definition (not persisted)."""

    pending: set[str] = field(default_factory=set)  # task ids the master keeps pending
    failures: int = 0
    not_before: float = 0.0
    last_failure: dict[str, Any] | None = None


class MarathonScheduler:
    def __init__(
        self,
        master: MesosMaster,
        clock: SimClock,
        store: StateBackend,
        events: EventBus,
        *,
        hostname: str,
        webui_url: str,
        features: tuple[str, ...],
    ) -> None:
        self.master = master
        self.clock = clock
        self.store = store
        self.events = events
        self.hostname = hostname
        self.webui_url = webui_url
        self.features = features
        self.framework_id: str | None = None
        self.apps: dict[str, dict[str, Any]] = {}
        # app id -> {version: definition}, oldest first (Marathon keeps zk_max_versions=50).
        self.history: dict[str, dict[str, dict[str, Any]]] = {}
        self.runtime: dict[str, AppRuntime] = {}
        self.deployments: dict[str, Deployment] = {}
        self.health: dict[str, list[dict[str, Any]]] = {}  # task id -> results per check
        self._expected_kills: set[str] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None
        self._saves: set[asyncio.Task[None]] = set()
        self._store_lock = asyncio.Lock()

    # -- leadership -------------------------------------------------------------------------

    async def start_leading(self) -> None:
        records = await self.store.load_apps()
        self.apps = {app_id: r["app"] for app_id, r in records.items()}
        self.history = {app_id: r.get("history", {}) for app_id, r in records.items()}
        self.runtime = {app_id: AppRuntime() for app_id in self.apps}
        # Plans survive a failover: the new leader carries them on.
        restored = [Deployment.from_record(r) for r in await self.store.load_deployments()]
        self.deployments = {d.id: d for d in restored}
        stored_id = await self.store.load_framework_id()
        capabilities = ["TASK_KILLING_STATE", "PARTITION_AWARE"]
        if "gpu_resources" in self.features:
            capabilities.append("GPU_RESOURCES")
        framework = self.master.register_framework(
            "marathon",
            hostname=self.hostname,
            capabilities=capabilities,
            framework_id=stored_id,
            webui_url=self.webui_url,
        )
        self.framework_id = framework.framework_id
        if stored_id != framework.framework_id:
            await self.store.save_framework_id(framework.framework_id)
        self._unsubscribe = self.master.subscribe(framework.framework_id, self._on_status)
        self._loop_task = asyncio.create_task(self._loop())

    async def stop_leading(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self.framework_id is not None:
            self.master.deactivate_framework(self.framework_id)
        for pending_save in list(self._saves):
            with contextlib.suppress(Exception):
                await pending_save

    # -- app operations (called by the API with validated, normalised apps) -----------------

    def deployments_of(self, app_id: str) -> list[Deployment]:
        return [d for d in self.deployments.values() if d.app_id == app_id]

    def cancel_deployments(self, app_id: str) -> None:
        for deployment in self.deployments_of(app_id):
            self._forget(deployment)
            self.events.publish(
                "deployment_failed",
                {"id": deployment.id, "plan": deployment.event_plan()},
            )

    def put_app(self, app: dict[str, Any], action: str, *, config_change: bool) -> Deployment:
        app_id = app["id"]
        version = self.clock.iso_now()
        previous = self.apps.get(app_id)
        info = dict((previous or {}).get("versionInfo") or {})
        app["version"] = version
        if config_change or previous is None:
            info["lastConfigChangeAt"] = version
        info["lastScalingAt"] = version
        app["versionInfo"] = info
        self.apps[app_id] = app
        history = self.history.setdefault(app_id, {})
        history[version] = copy.deepcopy(app)
        for stale in list(history)[:-_MAX_VERSIONS]:
            del history[stale]
        runtime = self.runtime.setdefault(app_id, AppRuntime())
        if config_change:
            # A new configuration starts without the old one's launch backoff.
            runtime.failures = 0
            runtime.not_before = 0.0
        self._save(app_id)
        actions = [action] if action != "StartApplication" else [action, "ScaleApplication"]
        deployment = Deployment(app_id, version, actions)
        return self._begin(deployment)

    def rollback(self, app_id: str) -> Deployment | None:
        """Revert to the definition before the newest (``DELETE /v2/deployments/{id}``); a
        just-created app is removed."""
        history = list(self.history.get(app_id, {}).values())
        if app_id not in self.apps:
            return None
        if len(history) < 2:
            return self.remove_app(app_id)
        previous = copy.deepcopy(history[-2])
        ignored = ("version", "versionInfo", "instances")
        changed = any(
            previous.get(k) != v for k, v in self.apps[app_id].items() if k not in ignored
        )
        action = "RestartApplication" if changed else "ScaleApplication"
        return self.put_app(previous, action, config_change=changed)

    def remove_app(self, app_id: str) -> Deployment:
        version = self.clock.iso_now()
        self.apps.pop(app_id, None)
        self.history.pop(app_id, None)
        runtime = self.runtime.pop(app_id, AppRuntime())
        for task_id in runtime.pending:
            self.master.cancel_pending(task_id)
        for task in self.tasks_of(app_id):
            self.kill_task(task.task_id)
        self._track(self.store.delete_app(app_id))
        self.events.publish("app_terminated_event", {"appId": app_id})
        return self._begin(Deployment(app_id, version, ["StopApplication"]))

    def kill_task(self, task_id: str) -> None:
        self._expected_kills.add(task_id)
        self.master.kill(task_id)

    def tasks_of(self, app_id: str) -> list[Task]:
        return [t for t in self.all_tasks() if t.spec.env.get("MARATHON_APP_ID") == app_id]

    def all_tasks(self) -> list[Task]:
        return self.master.tasks(self.framework_id) if self.framework_id else []

    def is_ready(self, app: dict[str, Any], task: Task) -> bool:
        if task.state is not TaskState.RUNNING:
            return False
        if not app.get("healthChecks"):
            return True
        results = self.health.get(task.task_id) or []
        return bool(results) and all(r["alive"] for r in results)

    # -- internals --------------------------------------------------------------------------

    def _forget(self, deployment: Deployment) -> None:
        self.deployments.pop(deployment.id, None)
        self._track(self.store.delete_deployment(deployment.id))

    def _begin(self, deployment: Deployment) -> Deployment:
        self.deployments[deployment.id] = deployment
        self._track(self.store.save_deployment(deployment.id, deployment.to_record()))
        self.events.publish(
            "deployment_info",
            {"plan": deployment.event_plan(), "currentStep": deployment.to_json()["steps"][0]},
        )
        return deployment

    def _save(self, app_id: str) -> None:
        record = {"app": self.apps[app_id], "history": self.history.get(app_id, {})}
        self._track(self.store.save_app(app_id, record))

    def _track(self, coro: Any) -> None:
        """Run a store write in the background, strictly after the writes before it (a plan
        saved and deleted in quick succession must not be resurrected)."""

        async def in_order() -> None:
            async with self._store_lock:
                await coro

        job: asyncio.Task[None] = asyncio.ensure_future(in_order())
        self._saves.add(job)
        job.add_done_callback(self._saves.discard)

    def _on_status(self, update: StatusUpdate) -> None:
        task = self.master.task(update.task_id)
        if task is None:
            return
        app_id = task.spec.env.get("MARATHON_APP_ID", "")
        self.events.publish(
            "status_update_event",
            {
                "slaveId": task.agent_id,
                "taskId": task.task_id,
                "taskStatus": update.state.value,
                "message": update.message,
                "appId": app_id,
                "host": task.hostname,
                "ipAddresses": [{"ipAddress": task.hostname, "protocol": "IPv4"}],
                "ports": task.ports,
                "version": task.spec.env.get("MARATHON_APP_VERSION", ""),
            },
        )
        if not update.state.terminal:
            return
        self.health.pop(task.task_id, None)
        expected = task.task_id in self._expected_kills
        self._expected_kills.discard(task.task_id)
        runtime = self.runtime.get(app_id)
        if expected or runtime is None or app_id not in self.apps:
            return
        app = self.apps[app_id]
        runtime.failures += 1
        delay = min(
            app["backoffSeconds"] * app["backoffFactor"] ** (runtime.failures - 1),
            app["maxLaunchDelaySeconds"],
        )
        runtime.not_before = self.clock.now() + delay
        runtime.last_failure = {
            "appId": app_id,
            "host": task.hostname,
            "message": update.message,
            "state": update.state.value,
            "taskId": task.task_id,
            "timestamp": self.clock.iso_now(),
            "version": task.spec.env.get("MARATHON_APP_VERSION", ""),
            "slaveId": task.agent_id,
        }

    async def _loop(self) -> None:
        while True:
            try:
                self._reconcile()
            except Exception:
                log.exception("Marathon reconciliation failed")
            await asyncio.sleep(_TICK)

    def _reconcile(self) -> None:
        for app_id, app in list(self.apps.items()):
            self._converge(app_id, app)
        for deployment in list(self.deployments.values()):
            if self._done(deployment):
                self._forget(deployment)
                deployment.current_step = len(deployment.actions)
                self.events.publish(
                    "deployment_step_success",
                    {"plan": deployment.event_plan(),
                     "currentStep": deployment.event_plan()["steps"][-1]},
                )
                self.events.publish(
                    "deployment_success",
                    {"id": deployment.id, "plan": deployment.event_plan()},
                )

    def _done(self, deployment: Deployment) -> bool:
        app = self.apps.get(deployment.app_id)
        tasks = self.tasks_of(deployment.app_id)
        if deployment.actions == ["StopApplication"]:
            return not tasks
        if app is None:
            return True
        runtime = self.runtime[deployment.app_id]
        config = app["versionInfo"]["lastConfigChangeAt"]
        current = [t for t in tasks if _version(t) == config]
        ready = [t for t in current if self.is_ready(app, t)]
        if len(deployment.actions) > 1 and deployment.current_step == 1:
            deployment.current_step = 2
        return len(ready) == len(tasks) == app["instances"] and not runtime.pending

    def _converge(self, app_id: str, app: dict[str, Any]) -> None:
        runtime = self.runtime.setdefault(app_id, AppRuntime())
        live = {t.task_id for t in self.master.pending_launches(self.framework_id)}
        runtime.pending &= live
        config = app["versionInfo"]["lastConfigChangeAt"]
        tasks = [t for t in self.tasks_of(app_id) if t.task_id not in self._expected_kills]
        old = [t for t in tasks if _version(t) != config]
        new = [t for t in tasks if _version(t) == config]
        instances = app["instances"]
        strategy = app["upgradeStrategy"]
        keep_old = max(0, math.ceil(strategy["minimumHealthCapacity"] * instances)
                       - sum(1 for t in new if self.is_ready(app, t)))
        for task in sorted(old, key=lambda t: t.staged_at)[: max(0, len(old) - keep_old)]:
            self.kill_task(task.task_id)
        surplus = len(new) + len(runtime.pending) - instances
        if surplus > 0:
            for task_id in list(runtime.pending)[:surplus]:
                self.master.cancel_pending(task_id)
                runtime.pending.discard(task_id)
                surplus -= 1
            youngest = sorted(new, key=lambda t: t.staged_at, reverse=True)
            if app["killSelection"] == "OLDEST_FIRST":
                youngest.reverse()
            for task in youngest[: max(0, surplus)]:
                self.kill_task(task.task_id)
        in_flight = len(self.tasks_of(app_id)) + len(runtime.pending)
        cap = instances + math.floor(strategy["maximumOverCapacity"] * instances)
        missing = min(
            instances - len(new) - len(runtime.pending),
            cap - in_flight,
            _MAX_PENDING_PER_APP - len(runtime.pending),
        )
        if missing > 0 and self.clock.now() >= runtime.not_before:
            for _ in range(missing):
                self._launch(app, runtime)

    def _launch(self, app: dict[str, Any], runtime: AppRuntime) -> None:
        assert self.framework_id is not None
        instance = f"{task_prefix(app['id'])}.instance-{uuid.uuid4()}"
        task_id = f"{instance}._app.1"
        spec = task_spec_for(app)
        placed = self.master.launch(self.framework_id, task_id, spec)
        if not isinstance(placed, Task):
            runtime.pending.add(task_id)


def _version(task: Task) -> str:
    return task.spec.env.get("MARATHON_APP_VERSION", "")
