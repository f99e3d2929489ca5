"""How Marathon writes apps, tasks and queue entries (AppInfo, Task, QueueItem)."""

from __future__ import annotations

from typing import Any

from simcluster.clock import iso_format
from simcluster.marathon.scheduler import MarathonScheduler
from simcluster.mesos import Task, TaskState

_ALIASES = {"failures": {"tasks", "lastTaskFailure", "deployments"}}


def parse_embed(values: list[str]) -> set[str]:
    """``apps.tasks``, ``app.counts``, ``group.apps.deployments`` ... -> bare names."""
    out: set[str] = set()
    for value in values:
        for prefix in ("group.apps.", "apps.", "app."):
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        out |= _ALIASES.get(value, {value})
        if value == "tasks":
            out.add("deployments")
    return out


def task_json(scheduler: MarathonScheduler, task: Task) -> dict[str, Any]:
    app_id = task.spec.env.get("MARATHON_APP_ID", "")
    app = scheduler.apps.get(app_id) or {}
    out: dict[str, Any] = {
        "id": task.task_id,
        "appId": app_id,
        "host": task.hostname,
        "slaveId": task.agent_id,
        "state": task.state.value,
        "ports": task.ports,
        "servicePorts": [p["port"] for p in app.get("portDefinitions", [])],
        "ipAddresses": [{"ipAddress": task.hostname, "protocol": "IPv4"}],
        "stagedAt": iso_format(task.staged_at),
        "startedAt": iso_format(task.started_at) if task.started_at else None,
        "version": task.spec.env.get("MARATHON_APP_VERSION", ""),
        "localVolumes": [],
        "role": "*",
    }
    results = scheduler.health.get(task.task_id)
    if results:
        out["healthCheckResults"] = [dict(r) for r in results]
    return out


def counts(scheduler: MarathonScheduler, app: dict[str, Any]) -> dict[str, int]:
    tasks = scheduler.tasks_of(app["id"])
    healthy = unhealthy = 0
    for task in tasks:
        results = scheduler.health.get(task.task_id) or []
        if results and all(r["alive"] for r in results):
            healthy += 1
        elif any(not r["alive"] for r in results):
            unhealthy += 1
    return {
        "tasksStaged": sum(
            1 for t in tasks if t.state in (TaskState.STAGING, TaskState.STARTING)
        ),
        "tasksRunning": sum(1 for t in tasks if t.state is TaskState.RUNNING),
        "tasksHealthy": healthy,
        "tasksUnhealthy": unhealthy,
    }


def app_info(
    scheduler: MarathonScheduler, app: dict[str, Any], embed: set[str]
) -> dict[str, Any]:
    out = dict(app)
    out.update(counts(scheduler, app))
    out["deployments"] = [{"id": d.id} for d in scheduler.deployments_of(app["id"])]
    if "tasks" in embed:
        out["tasks"] = [task_json(scheduler, t) for t in scheduler.tasks_of(app["id"])]
    if "lastTaskFailure" in embed:
        failure = scheduler.runtime.get(app["id"])
        if failure is not None and failure.last_failure is not None:
            out["lastTaskFailure"] = failure.last_failure
    if "readiness" in embed:
        out["readinessCheckResults"] = []
    return out


def queue_item(
    scheduler: MarathonScheduler, app: dict[str, Any], *, unused_offers: bool = False
) -> dict[str, Any] | None:
    runtime = scheduler.runtime.get(app["id"])
    if runtime is None:
        return None
    pending = [
        p for p in scheduler.master.pending_launches(scheduler.framework_id)
        if p.task_id in runtime.pending
    ]
    config = app["versionInfo"]["lastConfigChangeAt"]
    current = [
        t for t in scheduler.tasks_of(app["id"])
        if t.spec.env.get("MARATHON_APP_VERSION") == config
    ]
    waiting = max(app["instances"] - len(current), len(pending))
    if waiting <= 0:
        return None
    now = scheduler.clock.now()
    left = max(0.0, runtime.not_before - now)
    reasons: dict[str, int] = {}
    processed = declined = 0
    last_offer: float | None = None
    for launch in pending:
        processed += launch.offers_processed
        declined += launch.offers_declined
        last_offer = max(last_offer or 0.0, launch.last_offer_at or 0.0) or None
        for reason, count in launch.reasons.items():
            reasons[reason.value] = max(reasons.get(reason.value, 0), count)
    n_agents = len(scheduler.master.agents)
    summary: dict[str, Any] = {
        "processedOffersCount": processed,
        "unusedOffersCount": declined,
        "rejectSummaryLastOffers": [
            {"reason": reason, "declined": count, "processed": n_agents}
            for reason, count in sorted(reasons.items())
        ],
        "rejectSummaryLaunchAttempt": [
            {"reason": reason, "declined": count, "processed": n_agents}
            for reason, count in sorted(reasons.items())
        ],
    }
    if last_offer:
        summary["lastUnusedOfferAt"] = iso_format(last_offer)
    since = min((p.since for p in pending), default=now)
    extra: dict[str, Any] = {}
    if unused_offers:
        extra["lastUnusedOffers"] = [
            _unused_offer(scheduler, agent_id, [r.value for r in why], launch.last_offer_at)
            for launch in pending
            for agent_id, why in launch.declined_by
        ]
    return {
        **extra,
        "app": dict(app),
        "count": waiting,
        "role": "*",
        "delay": {"timeLeftSeconds": int(left), "overdue": left <= 0},
        "since": iso_format(since),
        "processedOffersSummary": summary,
    }


def _unused_offer(
    scheduler: MarathonScheduler, agent_id: str, reasons: list[str], at: float | None
) -> dict[str, Any]:
    agent = scheduler.master.agents[agent_id]
    free = agent.free
    scalars = (("cpus", free.cpus), ("mem", free.mem), ("disk", free.disk), ("gpus", free.gpus))
    resources: list[dict[str, Any]] = [
        {"name": name, "scalar": float(value), "ranges": [], "set": [], "role": "*"}
        for name, value in scalars
    ]
    low, high = agent.port_range
    resources.append({"name": "ports", "scalar": 0, "ranges": [{"begin": low, "end": high}],
                      "set": [], "role": "*"})
    return {
        "offer": {"id": f"{agent_id}-O{int((at or 0) * 1000)}", "agentId": agent_id,
                  "hostname": agent.hostname, "resources": resources, "attributes": []},
        "timestamp": iso_format(at or scheduler.clock.now()),
        "reason": reasons,
    }
