"""The normalised app Marathon stores and writes back: defaults filled, service ports assigned."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from simcluster.marathon.errors import MarathonError
from simcluster.marathon.pathid import canonical

_HEALTH_DEFAULTS: dict[str, Any] = {
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "timeoutSeconds": 20,
    "maxConsecutiveFailures": 3,
    "delaySeconds": 15,
}


def normalize_app(raw: dict[str, Any], *, max_launch_delay: int = 300) -> dict[str, Any]:
    """Fill in what Marathon fills in (1.11 ``app.raml`` defaults). Service ports stay 0 here;
    :func:`assign_service_ports` replaces them."""
    app = copy.deepcopy(raw)
    app["id"] = canonical(app["id"])
    defaults: dict[str, Any] = {
        "backoffFactor": 1.15,
        "backoffSeconds": 1,
        "constraints": [],
        "cpus": 1,
        "dependencies": [],
        "disk": 0,
        "env": {},
        "executor": "",
        "fetch": [],
        "gpus": 0,
        "healthChecks": [],
        "instances": 1,
        "killSelection": "YOUNGEST_FIRST",
        "labels": {},
        "maxLaunchDelaySeconds": max_launch_delay,
        "mem": 128,
        "networks": [{"mode": "host"}],
        "readinessChecks": [],
        "requirePorts": False,
        "role": "*",
        "secrets": {},
        "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
        "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
    }
    for key, value in defaults.items():
        if app.get(key) is None:
            app[key] = value
    strategy = app["upgradeStrategy"]
    strategy.setdefault("minimumHealthCapacity", 1)
    strategy.setdefault("maximumOverCapacity", 1)
    for key in ("gpus", "instances"):
        app[key] = int(app[key])
    for network in app["networks"]:
        network.setdefault("mode", "container")
    host = app["networks"][0]["mode"] == "host"
    if host and app.get("portDefinitions") is None:
        app["portDefinitions"] = [{"port": 0, "name": "default"}]
    if not host:
        app["portDefinitions"] = []
    for port in app.get("portDefinitions", []):
        port.setdefault("port", 0)
        port["port"] = int(port["port"])
        port.setdefault("protocol", "tcp")
        port.setdefault("labels", {})
    app.pop("ports", None)  # legacy field; portDefinitions is the normalised form
    if app.get("container"):
        app["container"] = _container(app["container"])
    app["healthChecks"] = [_health_check(c) for c in app["healthChecks"]]
    return app


def _container(container: dict[str, Any]) -> dict[str, Any]:
    container["type"] = str(container.get("type", "DOCKER")).upper()
    container.setdefault("volumes", [])
    docker = container.get("docker")
    if docker is not None:
        docker.setdefault("forcePullImage", False)
        if container["type"] == "DOCKER":
            docker.setdefault("parameters", [])
            docker.setdefault("privileged", False)
        else:
            # The Mesos containerizer has nowhere to keep these (MesosDocker); Marathon drops
            # them without a word.
            for key in ("privileged", "parameters", "network", "portMappings", "credential"):
                docker.pop(key, None)
    return container


def _health_check(check: dict[str, Any]) -> dict[str, Any]:
    out = {**_HEALTH_DEFAULTS, **check}
    protocol = out.setdefault("protocol", "HTTP")
    if protocol != "COMMAND":
        if "port" not in out:
            out.setdefault("portIndex", 0)
        out.setdefault("ipProtocol", "IPv4")
    if protocol in ("HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS"):
        out.setdefault("path", "/")
    if protocol in ("HTTP", "HTTPS"):
        out.setdefault("ignoreHttp1xx", False)
    if not protocol.startswith("MESOS_") and protocol != "COMMAND":
        out.pop("delaySeconds", None)
    return out


def assign_service_ports(
    app: dict[str, Any], taken: Iterable[int], port_range: tuple[int, int]
) -> None:
    """Replace every ``port: 0`` with a free service port (AssignDynamicServiceLogic);
    ``taken`` are the ports other apps already hold."""
    used = set(taken) | {p["port"] for p in app.get("portDefinitions", []) if p["port"]}
    candidates = (p for p in range(port_range[0], port_range[1] + 1) if p not in used)
    for port in app.get("portDefinitions", []):
        if port["port"] == 0:
            chosen = next(candidates, None)
            if chosen is None:
                raise MarathonError(
                    500,
                    {
                        "message": f"All service ports in [{port_range[0]}, {port_range[1]}] "
                        "are already in use"
                    },
                )
            port["port"] = chosen
