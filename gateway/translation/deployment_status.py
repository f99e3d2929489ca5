"""Pure reading of Marathon apps (and their launch-queue entries) back into our deployments.

No I/O: the app as ``GET /v2/apps/{id}?embed=app.tasks`` returns it goes in, our status comes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.models import Deployment, DeploymentStatus, Task
from gateway.models.common import HardwareView
from gateway.translation.deployments import DEPLOYMENT_LABEL, OWNER_LABEL, OWNER_NAME_LABEL
from gateway.translation.owner_record import clean_name

# Marathon's NoOfferMatchReason values (mesos/NoOfferMatchReason.scala), as sentences.
_REJECT_REASONS = {
    "InsufficientGpus": "no agent has enough free GPUs",
    "InsufficientCpus": "no agent has enough free CPUs",
    "InsufficientMemory": "no agent has enough free memory",
    "InsufficientDisk": "no agent has enough free disk",
    "InsufficientPorts": "no agent has enough free ports",
    "DeclinedScarceResources": "GPU agents are kept for GPU work",
    "UnfulfilledConstraint": "no agent matches the placement constraints",
    "UnfulfilledRole": "no agent offers resources for this role",
    "NoCorrespondingReservationFound": "no agent holds the reservation it needs",
}

# Failures in a row after which a service Marathon keeps relaunching counts as failed.
CRASHES_FAILED = 3
_FAILED_TASK_STATES = {"TASK_FAILED", "TASK_ERROR"}


def crashes_in_a_row(task_states: list[str]) -> int:
    """How many of the app's newest tasks (newest first, terminal states) failed in a row."""
    count = 0
    for state in task_states:
        if state not in _FAILED_TASK_STATES:
            break
        count += 1
    return count


_STATE_WORDS = {"TASK_FAILED": "failed", "TASK_KILLED": "was killed", "TASK_LOST": "was lost",
                "TASK_ERROR": "could not start", "TASK_DROPPED": "was dropped",
                "TASK_GONE": "is gone", "TASK_FINISHED": "exited"}


def deployment_from_app(app: dict[str, Any], *, lb_host: str,
                        queue_entry: dict[str, Any] | None = None,
                        main_ports: Mapping[str, str] | None = None,
                        vhost_scheme: str = "http", crashes: int | None = None) -> Deployment:
    """Our view of a Marathon app. ``main_ports`` maps a service kind to its main port name."""
    labels: dict[str, str] = app.get("labels") or {}
    service = labels.get("gateway.service", "deepaas")
    status, reason = deployment_status(app, queue_entry, crashes)
    endpoints = (endpoints_for(app, lb_host=lb_host, vhost_scheme=vhost_scheme)
                 if status != "failed" else {})
    main_port = (main_ports or {}).get(service)
    return Deployment(
        id=labels.get(DEPLOYMENT_LABEL) or str(app["id"]).rsplit("/", 1)[-1],
        owner=labels.get(OWNER_LABEL, ""),
        owner_name=clean_name(labels.get(OWNER_NAME_LABEL)),
        module=labels.get("gateway.module"),
        image=((app.get("container") or {}).get("docker") or {}).get("image", ""),
        service="jupyter" if service == "jupyter" else "deepaas",
        # What Marathon holds, unvalidated: the request bounds apply to asking, not to reading
        # back an app an operator may have edited in Marathon.
        hardware=HardwareView(
            cpus=float(app.get("cpus", 1)), memory=int(app.get("mem", 128)),
            disk=int(app.get("disk", 0)), gpus=int(app.get("gpus", 0))),
        description=labels.get("gateway.description", ""),
        created_at=labels.get("gateway.created_at") or None,
        status=status,
        status_reason=reason,
        endpoints=endpoints,
        main_endpoint=endpoints.get(main_port) if main_port else None,
        tasks=[_task(t) for t in app.get("tasks") or []],
    )


def endpoints_for(app: dict[str, Any], *, lb_host: str, vhost_scheme: str = "http") -> dict[str, str]:
    """A URL per named port once Marathon assigned its service port.

    ``http://<lb host>:<servicePort>`` (marathon-lb binds every service port), or the port's
    virtual host when the app carries a ``HAPROXY_{n}_VHOST`` label.
    """
    labels: dict[str, str] = app.get("labels") or {}
    endpoints = {}
    for index, definition in enumerate(app.get("portDefinitions") or []):
        port, name = definition.get("port"), definition.get("name")
        if not name or not isinstance(port, int) or port <= 0:
            continue
        vhost = labels.get(f"HAPROXY_{index}_VHOST", "").split(",")[0].strip()
        endpoints[name] = f"{vhost_scheme}://{vhost}/" if vhost else f"http://{lb_host}:{port}"
    return endpoints


def deployment_status(app: dict[str, Any], queue_entry: dict[str, Any] | None,
                      crashes: int | None = None) -> tuple[DeploymentStatus, str]:
    """Our status and why. ``crashes``: the app's task failures in a row (None: unknown)."""
    running = int(app.get("tasksRunning", 0))
    healthy = int(app.get("tasksHealthy", 0))
    unhealthy = int(app.get("tasksUnhealthy", 0))
    has_checks = bool(app.get("healthChecks"))
    in_deployment = bool(app.get("deployments"))
    failure = app.get("lastTaskFailure") or None
    if int(app.get("instances", 1)) == 0:
        return "deleting", "The service is being stopped."
    if running > 0:
        if has_checks and unhealthy > 0:
            return "unhealthy", "The service does not answer its health check."
        if has_checks and healthy == 0:
            return "deploying", "The service started and is not healthy yet."
        return "running", ""
    if failure and queue_entry is not None and not waiting_reason(queue_entry):
        backing_off = _backing_off(queue_entry)
        return _after_crash(failure, crashes, f" Next try in {backing_off} s."
                            if backing_off is not None else "")
    if queue_entry is not None:
        reason = waiting_reason(queue_entry)
        if reason:
            return "waiting", f"Waiting for resources: {reason}."
    if failure and not in_deployment:
        return _after_crash(failure, crashes, "")
    if in_deployment or int(app.get("tasksStaged", 0)) > 0:
        if failure:
            return "restarting", f"Starting again after a failure: {_message(failure)}"
        return "deploying", "The service is being started."
    return "waiting", "Waiting to be scheduled."


def _after_crash(failure: dict[str, Any], crashes: int | None,
                 next_try: str) -> tuple[DeploymentStatus, str]:
    # Marathon relaunches a crashed task forever, with a growing delay. One crash is a
    # restart; a task that cannot start, or crashes again and again, is a failed service.
    sentence = _failure_sentence(failure) + next_try
    if failure.get("state") == "TASK_ERROR":
        return "failed", sentence
    if crashes is not None and crashes >= CRASHES_FAILED:
        return "failed", f"It keeps crashing ({crashes} times in a row). {sentence}"
    return "restarting", f"{sentence} Marathon restarts it."


def waiting_reason(queue_entry: dict[str, Any]) -> str:
    """Why Marathon could not place the app, from the offers it declined most recently."""
    summary = queue_entry.get("processedOffersSummary") or {}
    reasons = [r.get("reason") for r in summary.get("rejectSummaryLastOffers") or []
               if isinstance(r, dict) and int(r.get("declined", 0) or 0) > 0]
    words = [_REJECT_REASONS.get(str(r), str(r)) for r in reasons if r]
    return "; ".join(dict.fromkeys(words))


def _backing_off(queue_entry: dict[str, Any] | None) -> int | None:
    delay = (queue_entry or {}).get("delay") or {}
    if delay.get("overdue") is False and float(delay.get("timeLeftSeconds", 0) or 0) > 0:
        return int(float(delay["timeLeftSeconds"]))
    return None


def _failure_sentence(failure: dict[str, Any]) -> str:
    word = _STATE_WORDS.get(str(failure.get("state")), "ended")
    return f"The last task {word}: {_message(failure)}"


def _message(failure: dict[str, Any]) -> str:
    message = str(failure.get("message") or "no message").strip()
    return message if message.endswith(".") else message + "."


def _task(task: dict[str, Any]) -> Task:
    results = task.get("healthCheckResults") or []
    healthy = all(r.get("alive") for r in results) if results else None
    return Task(id=task.get("id", ""), host=task.get("host"), state=task.get("state", "UNKNOWN"),
                started_at=task.get("startedAt"), healthy=healthy)


def unreadable_deployment(app: dict[str, Any]) -> Deployment:
    """What can be said of an app whose shape the gateway cannot read: its id and owner."""
    labels = app.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    return Deployment(
        id=str(labels.get(DEPLOYMENT_LABEL) or str(app.get("id", "")).rsplit("/", 1)[-1]),
        owner=str(labels.get(OWNER_LABEL, "")),
        owner_name=clean_name(labels.get(OWNER_NAME_LABEL)), image="", service="deepaas",
        hardware=HardwareView(cpus=0.0, memory=0, disk=0, gpus=0), status="unknown",
        status_reason="Marathon holds this deployment in a form the gateway cannot read; "
                      "delete it and deploy again.")
