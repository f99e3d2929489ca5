"""The Mesos task Marathon builds for an app instance: resources, command, env, labels."""

from __future__ import annotations

from typing import Any

from simcluster.marathon.pathid import task_prefix
from simcluster.mesos import Resources, TaskSpec


def task_spec_for(app: dict[str, Any]) -> TaskSpec:
    """The TaskInfo Marathon would build: resources, command, env and labels."""
    container = app.get("container") or {}
    image = (container.get("docker") or {}).get("image")
    env = {k: v for k, v in app["env"].items() if isinstance(v, str)}
    env.update(
        {
            "MARATHON_APP_ID": app["id"],
            "MARATHON_APP_VERSION": app["versionInfo"]["lastConfigChangeAt"],
            "MARATHON_APP_RESOURCE_CPUS": str(float(app["cpus"])),
            "MARATHON_APP_RESOURCE_MEM": str(float(app["mem"])),
            "MARATHON_APP_RESOURCE_DISK": str(float(app["disk"])),
            "MARATHON_APP_RESOURCE_GPUS": str(app["gpus"]),
        }
    )
    if image:
        env["MARATHON_APP_DOCKER_IMAGE"] = image
    health_paths = tuple(c["path"] for c in app["healthChecks"] if "path" in c)
    return TaskSpec(
        name=task_prefix(app["id"]).replace("_", "."),
        resources=Resources(
            cpus=float(app["cpus"]),
            mem=float(app["mem"]),
            disk=float(app["disk"]),
            gpus=int(app["gpus"]),
            ports=len(app.get("portDefinitions") or []),
        ),
        command=app.get("cmd") or "",
        args=tuple(app.get("args") or ()),
        env=env,
        image=image,
        labels=dict(app["labels"]),
        kind="service",
        health_paths=health_paths,
    )
