"""What the read view keeps of a Marathon app and of a launch-queue entry: what our status,
tasks and endpoints are made of, and nothing else.

Memory is the reason (ten thousand apps must fit in well under 150 MB; the table keeps this as
compact JSON), and so is discretion:
the environment, which carries the obscured storage password, is never held. No I/O.
"""

from __future__ import annotations

from typing import Any

_APP_FIELDS = ("id", "cpus", "mem", "disk", "gpus", "instances", "tasksStaged", "tasksRunning",
               "tasksHealthy", "tasksUnhealthy", "deployments", "lastTaskFailure", "version",
               "versionInfo")
_TASK_FIELDS = ("id", "host", "state", "startedAt", "stagedAt", "version", "slaveId")
_LABEL_PREFIXES = ("gateway.", "HAPROXY_")


def trimmed_app(app: dict[str, Any]) -> dict[str, Any]:
    kept = {name: app[name] for name in _APP_FIELDS if name in app}
    labels = app.get("labels")
    kept["labels"] = {k: v for k, v in labels.items() if k.startswith(_LABEL_PREFIXES)} \
        if isinstance(labels, dict) else {}
    image = ((app.get("container") or {}).get("docker") or {}).get("image")
    if image is not None:
        kept["container"] = {"docker": {"image": image}}
    checks = app.get("healthChecks")
    if checks:
        kept["healthChecks"] = [{"protocol": c.get("protocol")} for c in checks
                                if isinstance(c, dict)]
    kept["portDefinitions"] = [{"port": d.get("port"), "name": d.get("name")}
                               for d in app.get("portDefinitions") or [] if isinstance(d, dict)]
    kept["tasks"] = [_task(t) for t in app.get("tasks") or [] if isinstance(t, dict)]
    return kept


def _task(task: dict[str, Any]) -> dict[str, Any]:
    kept = {name: task[name] for name in _TASK_FIELDS if name in task}
    results = task.get("healthCheckResults")
    if results:
        kept["healthCheckResults"] = [{"alive": r.get("alive")} for r in results
                                      if isinstance(r, dict)]
    return kept


def trimmed_queue_entry(entry: dict[str, Any]) -> dict[str, Any]:
    summary = entry.get("processedOffersSummary") or {}
    return {
        "app": {"id": entry["app"]["id"]},
        "count": entry.get("count"),
        "delay": entry.get("delay"),
        "processedOffersSummary": {"rejectSummaryLastOffers": [
            {"reason": r.get("reason"), "declined": r.get("declined")}
            for r in summary.get("rejectSummaryLastOffers") or [] if isinstance(r, dict)]},
    }
