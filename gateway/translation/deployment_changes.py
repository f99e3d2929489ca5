"""A change to a running deployment (``PATCH``), as one Marathon app update. Pure.

The changed hardware is checked against the module's (or the raw-image policy's) bounds and the
operators' limits, as at creation; a module's image follows the GPU count (its ``:gpu`` or
``:cpu`` tag). The update carries the GPU-safe upgrade strategy: the old task is stopped before
the new one starts, since a second copy could wait for ever for a GPU the first one holds.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.errors import InvalidInput
from gateway.models.common import Hardware
from gateway.models.deployments import DeploymentChange
from gateway.models.messages import field_errors
from gateway.translation.workload import check_hardware_bounds, check_user_env, image_source

# The gateway's own variables (storage, notebook password): a change of env keeps them.
_KEPT_ENV_PREFIXES = ("RCLONE_CONFIG_RSHARE_", "jupyterPASSWORD")
SAFE_UPGRADE = {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}


def app_hardware(app: dict[str, Any]) -> Hardware:
    return Hardware.model_construct(cpus=float(app.get("cpus", 1)), memory=int(app.get("mem", 128)),
                                    disk=int(app.get("disk", 0)), gpus=int(app.get("gpus", 0)))


def changed_hardware(app: dict[str, Any], change: DeploymentChange, catalog: ModuleCatalog,
                     templates: ServiceTemplates) -> tuple[Hardware, str]:
    """The new hardware and image, within the bounds a new deployment would have."""
    labels = app.get("labels") or {}
    image = str(((app.get("container") or {}).get("docker") or {}).get("image", ""))
    module_name = labels.get("gateway.module")
    asked = change.hardware.model_dump(exclude_none=True) if change.hardware else {}
    try:
        hardware = Hardware.model_validate({**app_hardware(app).model_dump(), **asked})
    except ValidationError as exc:
        raise InvalidInput("The hardware asked for is not valid.", [
            {**e, "field": "hardware." + e["field"]} for e in field_errors(exc.errors())]) from None
    module, bounds = image_source(module_name, None if module_name else image, catalog, templates)
    check_hardware_bounds(hardware, bounds, templates.limits)
    return hardware, module.image_for(hardware.gpus) if module else image


def app_update(app: dict[str, Any], change: DeploymentChange, hardware: Hardware,
               image: str) -> dict[str, Any]:
    """The fields of Marathon's (partial) app update; maps are sent whole."""
    update: dict[str, Any] = {"cpus": hardware.cpus, "mem": hardware.memory,
                              "disk": hardware.disk, "gpus": hardware.gpus,
                              "upgradeStrategy": dict(SAFE_UPGRADE)}
    container = dict(app.get("container") or {})
    docker = dict(container.get("docker") or {})
    if docker.get("image") != image:
        update["container"] = {**container, "docker": {**docker, "image": image}}
    if change.env is not None:
        check_user_env(change.env)
        kept = {k: v for k, v in (app.get("env") or {}).items()
                if isinstance(v, str) and k.startswith(_KEPT_ENV_PREFIXES)}
        update["env"] = {**change.env, **kept}
    if change.description is not None:
        labels = dict(app.get("labels") or {})
        labels.pop("gateway.description", None)
        if change.description:
            labels["gateway.description"] = change.description
        update["labels"] = labels
    return update
