"""Pure translation of deployment requests into Marathon apps.

No I/O here, and nothing from httpx, kazoo, jose or fastapi (a test checks the imports): a
request, the caller and the operator's templates go in, a plain dict comes out. Randomness (ids,
IVs) and clocks are passed in by the caller. Reading apps back is in ``deployment_status``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.errors import InvalidInput
from gateway.identity import Identity
from gateway.models import DeploymentRequest
from gateway.translation.owner_record import display_name, groups_text
from gateway.translation.workload import (
    check_hardware_bounds,
    check_user_env,
    image_source,
    requested_hardware,
)

OWNER_LABEL = "gateway.owner"
KIND_LABEL = "gateway.kind"
DEPLOYMENT_LABEL = "gateway.deployment"
IDEMPOTENCY_LABEL = "gateway.idempotency"
FINGERPRINT_LABEL = "gateway.request"
# "<per-deployment key>:<HMAC of the request's secrets under it>" (hex): a retry with the same
# Idempotency-Key but another password must not be replayed, and a plain digest of a password
# would let anyone who reads the labels try guesses against it without the app's own key.
SECRETS_LABEL = "gateway.secrets"
# The creator's name (for administrators' lists) and quota groups (for administrators' changes),
# see translation/owner_record.py. Never selected on: they are free text.
OWNER_NAME_LABEL = "gateway.owner-name"
QUOTA_GROUPS_LABEL = "gateway.owner-quota-groups"


def resolve_deployment(request: DeploymentRequest, catalog: ModuleCatalog,
                       templates: ServiceTemplates) -> DeploymentRequest:
    """The request with its image and hardware fixed by the catalog or the raw-image policy.

    Hardware the request leaves out comes from the module's defaults; what it asks for must stay
    within the module's (or, for raw images, the operator's) maximum and the operator's limits.
    """
    check_user_env(request.env)
    module, bounds = image_source(request.module, request.image, catalog, templates)
    if module is not None and request.service not in module.services:
        raise InvalidInput(
            f"Module {module.name!r} does not offer the {request.service} service.",
            [{"field": "service", "message": f"one of {', '.join(module.services)}"}])
    hardware = requested_hardware(request.hardware, request.model_fields_set, bounds)
    check_hardware_bounds(hardware, bounds, templates.limits)
    image = module.image_for(hardware.gpus) if module else str(request.image)
    return request.model_copy(update={"image": image, "hardware": hardware})


def marathon_app_id(group: str, deployment_id: str) -> str:
    return f"{group}/{deployment_id}"


def is_deployment(app: Mapping[str, Any]) -> bool:
    """Whether a Marathon app is one of the gateway's deployments (by its kind label)."""
    labels = app.get("labels")
    return isinstance(labels, dict) and labels.get(KIND_LABEL) == "deployment"


def is_deployment_id(value: str) -> bool:
    return len(value) == 24 and all(ch in "0123456789abcdef" for ch in value)


def owner_selector(owner: str) -> str:
    """Marathon label selector for one owner's deployments (owner keys are hex, no escaping)."""
    return f"{OWNER_LABEL}=={owner},{KIND_LABEL}==deployment"


def all_deployments_selector() -> str:
    return f"{KIND_LABEL}==deployment"


def _digest(*parts: str, length: int) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]


def idempotency_label(owner: str, key: str) -> str:
    return _digest("idempotency", owner, key, length=32)


def idempotent_deployment_id(owner: str, key: str) -> str:
    """The same owner and key always name the same app, so even two replicas racing on one
    retry cannot create two: Marathon refuses the second POST of an existing id (409)."""
    return _digest("deployment-id", owner, key, length=24)


def idempotency_selector(owner: str, key: str) -> str:
    return f"{owner_selector(owner)},{IDEMPOTENCY_LABEL}=={idempotency_label(owner, key)}"


def request_fingerprint(request: DeploymentRequest) -> str:
    """A digest of the request without its secrets (a password digest could be brute-forced)."""
    canonical = json.dumps(request.fingerprint_fields(), sort_keys=True, separators=(",", ":"))
    return _digest("request", canonical, length=32)


def secrets_digest(request: DeploymentRequest, key: bytes) -> str:
    """``key:hmac`` over the request's secrets, for SECRETS_LABEL."""
    secrets = json.dumps([
        request.jupyter_password.get_secret_value() if request.jupyter_password else None,
        request.storage.rclone_password.get_secret_value() if request.storage else None,
    ], separators=(",", ":"))
    return key.hex() + ":" + hmac.new(key, secrets.encode(), hashlib.sha256).hexdigest()


def same_secrets(request: DeploymentRequest, label: str | None) -> bool:
    """Whether ``request`` carries the secrets whose digest ``label`` holds (no label: an app
    made before the label existed, where nothing can be compared)."""
    if not label:
        return True
    key, _, _ = label.partition(":")
    try:
        expected = secrets_digest(request, bytes.fromhex(key))
    except ValueError:
        return False
    return hmac.compare_digest(expected, label)


def vhost_for(port_name: str, deployment_id: str, domain: str) -> str:
    return f"{port_name}-{deployment_id}.{domain}".lower()


def marathon_app_for(
    request: DeploymentRequest,
    *,
    identity: Identity,
    deployment_id: str,
    templates: ServiceTemplates,
    group: str,
    created_at: datetime,
    rclone_password_obscured: str | None = None,
    idempotency_key: str | None = None,
    secrets_key: bytes | None = None,
    vhost_domain: str = "",
    quota_groups: Sequence[str] = (),
) -> dict[str, Any]:
    """The Marathon app for a request already passed through :func:`resolve_deployment`;
    ``quota_groups`` are the creator's groups that set their quota limits."""
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
        DEPLOYMENT_LABEL: deployment_id,
        FINGERPRINT_LABEL: request_fingerprint(request),
        "gateway.service": request.service,
        "gateway.created_at": created_at.isoformat(),
    }
    owner_name = display_name(identity)
    if owner_name:
        labels[OWNER_NAME_LABEL] = owner_name
    if quota_groups:
        labels[QUOTA_GROUPS_LABEL] = groups_text(quota_groups)
    if request.module:
        labels["gateway.module"] = request.module
    if request.description:
        labels["gateway.description"] = request.description
    if idempotency_key is not None:
        labels[IDEMPOTENCY_LABEL] = idempotency_label(identity.owner, idempotency_key)
    if secrets_key is not None:
        labels[SECRETS_LABEL] = secrets_digest(request, secrets_key)
    if vhost_domain:
        for index, name in enumerate(templates.ports):
            labels[f"HAPROXY_{index}_VHOST"] = vhost_for(name, deployment_id, vhost_domain)

    health = templates.app.health_check
    check: dict[str, Any] = {
        **health.model_dump(),
        "portIndex": templates.ports.index(service.main_port),
    }
    if health.protocol == "MESOS_HTTP":
        check["path"] = service.health.path

    return {
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
