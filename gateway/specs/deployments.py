"""Pure translation of deployments into Marathon apps, and of Marathon apps into our status.

No I/O here, and nothing from httpx, kazoo, jose or fastapi (a test checks the imports): a
request, the caller and the operator's templates go in, a plain dict comes out; an upstream app
comes in, our status comes out. Randomness (ids, IVs) and clocks are passed in by the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.catalog import HardwareRange, ModuleCatalog, ServiceTemplates
from gateway.errors import InvalidInput
from gateway.identity import Identity
from gateway.models import Deployment, DeploymentRequest, DeploymentStatus, Hardware, Task

LABEL_PREFIX = "gateway."
OWNER_LABEL = "gateway.owner"
KIND_LABEL = "gateway.kind"
RESERVED_ENV_PREFIXES = ("PORT", "MESOS_", "MARATHON_", "RCLONE_", "LIBPROCESS_", "NVIDIA_",
                         "CHRONOS_", "GATEWAY_")
RESERVED_ENV_NAMES = {"HOST", "HOME", "PATH", "USER", "jupyterPASSWORD", "JUPYTER_PASSWORD",
                      "CUDA_VISIBLE_DEVICES"}

_REJECT_REASONS = {
    "InsufficientGpus": "no agent has enough free GPUs",
    "InsufficientCpus": "no agent has enough free CPUs",
    "InsufficientMemory": "no agent has enough free memory",
    "InsufficientDisk": "no agent has enough free disk",
    "InsufficientPorts": "no agent has enough free ports",
    "DeclinedScarceResources": "GPU agents are kept for GPU work",
    "UnfulfilledConstraint": "no agent matches the placement constraints",
}


def check_user_env(env: dict[str, str]) -> None:
    reserved = sorted(name for name in env
                      if name in RESERVED_ENV_NAMES or name.startswith(RESERVED_ENV_PREFIXES))
    if reserved:
        raise InvalidInput(
            "Some environment variable names are reserved by the gateway.",
            [{"field": f"env.{name}", "message": "reserved name"} for name in reserved],
        )


def resolve_deployment(request: DeploymentRequest, catalog: ModuleCatalog,
                       templates: ServiceTemplates) -> DeploymentRequest:
    """The request with its image and hardware fixed by the catalog or the raw-image policy.

    Hardware the request leaves out comes from the module's defaults; what it asks for must stay
    within the module's (or, for raw images, the operator's) maximum.
    """
    if request.image and request.module:
        raise InvalidInput("Give either a module or an image, not both.",
                           [{"field": "image", "message": "not allowed together with module"}])
    if request.module:
        module = catalog.get(request.module)
        if module is None:
            raise InvalidInput(f"There is no module {request.module!r} in the catalog.",
                               [{"field": "module", "message": "unknown module"}])
        if request.service not in module.services:
            raise InvalidInput(
                f"Module {module.name!r} does not offer the {request.service} service.",
                [{"field": "service", "message": f"one of {', '.join(module.services)}"}])
        bounds = module.hardware
    elif request.image:
        if not templates.raw_images.allows(request.image):
            raise InvalidInput("This image is not from a registry the operators allow.",
                               [{"field": "image", "message": "image not allowed; allowed prefixes: "
                                 + ", ".join(templates.raw_images.allowed_prefixes)}])
        bounds = templates.raw_images.hardware
    else:
        raise InvalidInput("A module or an image is required.",
                           [{"field": "module", "message": "module or image is required"}])
    hardware = _bounded_hardware(request, bounds)
    image = module.image_for(hardware.gpus) if request.module else str(request.image)
    return request.model_copy(update={"image": image, "hardware": hardware})


def _bounded_hardware(request: DeploymentRequest, bounds: HardwareRange) -> Hardware:
    asked = request.hardware.model_dump(exclude_unset=True) \
        if "hardware" in request.model_fields_set else {}
    hardware = bounds.default.model_copy(update=asked)
    errors = [{"field": f"hardware.{name}", "message": f"at most {getattr(bounds.max, name)}"}
              for name in ("cpus", "memory", "disk", "gpus")
              if getattr(hardware, name) > getattr(bounds.max, name)]
    if errors:
        raise InvalidInput("The hardware asked for is above what is allowed.", errors)
    return hardware


def marathon_app_id(group: str, deployment_id: str) -> str:
    return f"{group}/{deployment_id}"


def owner_selector(owner: str) -> str:
    """Marathon label selector for one owner's deployments (owner keys are hex, no escaping)."""
    return f"{OWNER_LABEL}=={owner},{KIND_LABEL}==deployment"


def marathon_app_for(
    request: DeploymentRequest,
    *,
    identity: Identity,
    deployment_id: str,
    templates: ServiceTemplates,
    group: str,
    created_at: datetime,
    rclone_password_obscured: str | None = None,
) -> dict[str, Any]:
    """The Marathon app for a request already passed through :func:`resolve_deployment`."""
    if not request.image:
        raise ValueError("resolve the request's image first")
    check_user_env(request.env)
    service = templates.services[request.service]
    hardware = request.hardware
    env = dict(request.env)
    if request.storage is not None:
        if rclone_password_obscured is None:
            raise ValueError("storage needs the obscured rclone password")
        env.update({
            "RCLONE_CONFIG_RSHARE_TYPE": "webdav",
            "RCLONE_CONFIG_RSHARE_URL": request.storage.rclone_url,
            "RCLONE_CONFIG_RSHARE_VENDOR": request.storage.rclone_vendor,
            "RCLONE_CONFIG_RSHARE_USER": request.storage.rclone_user,
            "RCLONE_CONFIG_RSHARE_PASS": rclone_password_obscured,
        })
    if request.jupyter_password is not None:
        env["jupyterPASSWORD"] = request.jupyter_password.get_secret_value()

    labels = {
        "HAPROXY_GROUP": "external",
        OWNER_LABEL: identity.owner,
        KIND_LABEL: "deployment",
        "gateway.deployment": deployment_id,
        "gateway.service": request.service,
        "gateway.created_at": created_at.isoformat(),
    }
    if request.module:
        labels["gateway.module"] = request.module
    if request.description:
        labels["gateway.description"] = request.description

    health = templates.app.health_check
    check: dict[str, Any] = {
        **health.model_dump(),
        "portIndex": templates.ports.index(service.main_port),
    }
    if health.protocol == "MESOS_HTTP":
        check["path"] = service.health.path

    app: dict[str, Any] = {
        **templates.app.marathon_fields(),
        "id": marathon_app_id(group, deployment_id),
        "cmd": service.cmd,
        "cpus": hardware.cpus,
        "mem": hardware.memory,
        "disk": hardware.disk,
        "gpus": hardware.gpus,
        "container": {"type": "MESOS",
                      "docker": {"image": request.image, "forcePullImage": True}},
        "networks": [{"mode": "host"}],
        "portDefinitions": [{"port": 0, "name": name, "protocol": "tcp"}
                            for name in templates.ports],
        "requirePorts": False,
        "env": env,
        "labels": labels,
        "healthChecks": [check],
    }
    return app


def deployment_from_app(app: dict[str, Any], *, lb_host: str,
                        queue_entry: dict[str, Any] | None = None) -> Deployment:
    """Our view of a Marathon app (``GET /v2/apps/{id}`` with tasks embedded)."""
    labels: dict[str, str] = app.get("labels") or {}
    tasks = [_task(t) for t in app.get("tasks") or []]
    status, reason = deployment_status(app, queue_entry)
    return Deployment(
        id=labels.get("gateway.deployment") or app["id"].rsplit("/", 1)[-1],
        owner=labels.get(OWNER_LABEL, ""),
        module=labels.get("gateway.module"),
        image=((app.get("container") or {}).get("docker") or {}).get("image", ""),
        service=labels.get("gateway.service", "deepaas"),
        hardware=Hardware(cpus=app.get("cpus", 1), memory=int(app.get("mem", 128)),
                          disk=int(app.get("disk", 0)), gpus=int(app.get("gpus", 0))),
        description=labels.get("gateway.description", ""),
        created_at=labels.get("gateway.created_at") or None,
        status=status,
        status_reason=reason,
        endpoints=endpoints_for(app, lb_host=lb_host) if status != "failed" else {},
        tasks=tasks,
    )


def endpoints_for(app: dict[str, Any], *, lb_host: str) -> dict[str, str]:
    """``http://<lb host>:<servicePort>`` per named port, once Marathon assigned service ports."""
    endpoints = {}
    for definition in app.get("portDefinitions") or []:
        port, name = definition.get("port"), definition.get("name")
        if name and isinstance(port, int) and port > 0:
            endpoints[name] = f"http://{lb_host}:{port}"
    return endpoints


def deployment_status(app: dict[str, Any],
                      queue_entry: dict[str, Any] | None) -> tuple[DeploymentStatus, str]:
    running = int(app.get("tasksRunning", 0))
    healthy = int(app.get("tasksHealthy", 0))
    unhealthy = int(app.get("tasksUnhealthy", 0))
    has_checks = bool(app.get("healthChecks"))
    in_deployment = bool(app.get("deployments"))
    if running > 0:
        if has_checks and unhealthy > 0:
            return "unhealthy", "The service does not answer its health check."
        if has_checks and healthy == 0:
            return "deploying", "The service started and is not healthy yet."
        return "running", ""
    if queue_entry is not None:
        reason = waiting_reason(queue_entry)
        if reason:
            return "waiting", f"Waiting for resources: {reason}."
    failure = app.get("lastTaskFailure")
    if failure and not in_deployment:
        return "failed", f"The last task {_state_word(failure.get('state'))}: " \
                         f"{failure.get('message') or 'no message'}"
    if in_deployment or int(app.get("tasksStaged", 0)) > 0:
        if failure:
            return "deploying", f"Restarting after a failure: {failure.get('message') or ''}".strip()
        return "deploying", "The service is being started."
    if int(app.get("instances", 1)) == 0:
        return "deleting", "The service is being stopped."
    return "waiting", "Waiting to be scheduled."


def waiting_reason(queue_entry: dict[str, Any]) -> str:
    summary = queue_entry.get("processedOffersSummary") or {}
    reasons = [r.get("reason") for r in summary.get("rejectSummaryLastOffers") or []
               if int(r.get("declined", 0)) > 0]
    words = [_REJECT_REASONS.get(str(r), str(r)) for r in reasons if r]
    if words:
        return "; ".join(dict.fromkeys(words))
    delay = queue_entry.get("delay") or {}
    if delay.get("overdue") is False:
        return f"backing off after failures, next try in {int(delay.get('timeLeftSeconds', 0))} s"
    return ""


def _state_word(state: object) -> str:
    return {"TASK_FAILED": "failed", "TASK_KILLED": "was killed", "TASK_LOST": "was lost",
            "TASK_ERROR": "could not start"}.get(str(state), "ended")


def _task(task: dict[str, Any]) -> Task:
    results = task.get("healthCheckResults") or []
    healthy = all(r.get("alive") for r in results) if results else None
    return Task(id=task.get("id", ""), host=task.get("host"), state=task.get("state", "UNKNOWN"),
                started_at=task.get("startedAt"), healthy=healthy)


def is_deployment_id(value: str) -> bool:
    return len(value) == 24 and all(ch in "0123456789abcdef" for ch in value)
