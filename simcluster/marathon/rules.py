"""Semantic validation of an app (AppValidation.scala and friends), after the shape checks."""

from __future__ import annotations

import re
from typing import Any

from simcluster.marathon.errors import Violation
from simcluster.marathon.pathid import id_violations

GPU_FEATURE_OFF = (
    "Feature gpu_resources is not enabled. Enable with --enable_features gpu_resources)"
)
GPU_DOCKER = "GPU resources only work with the Mesos containerizer"
NO_COMMAND = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
_MESOS_CHECKS = ("MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
_OPERATORS = ("UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS")


def _fmt(number: float) -> str:
    return repr(float(number))


def _at_least(out: list[Violation], app: dict[str, Any], key: str, minimum: float) -> None:
    value = app.get(key)
    if value is not None and value < minimum:
        out.append((f"/{key}", f"got {_fmt(value)}, expected {_fmt(minimum)} or more"))


def rule_violations(app: dict[str, Any], features: tuple[str, ...]) -> list[Violation]:
    out: list[Violation] = [("/id", m) for m in id_violations(app["id"])]
    has_cmd = bool(app.get("cmd"))
    has_args = bool(app.get("args"))
    if (has_cmd and has_args) or not (has_cmd or has_args or app.get("container")):
        out.append(("/", NO_COMMAND))
    _at_least(out, app, "cpus", 0.001)
    for key in ("mem", "disk", "gpus", "instances", "backoffSeconds", "maxLaunchDelaySeconds"):
        _at_least(out, app, key, 0)
    _at_least(out, app, "backoffFactor", 1.0)
    container = app.get("container") or {}
    container_type = str(container.get("type", "DOCKER")).upper()
    if (app.get("gpus") or 0) > 0:
        if "gpu_resources" not in features:
            out.append(("/", GPU_FEATURE_OFF))
        elif container and container_type == "DOCKER":
            out.append(("/", GPU_DOCKER))
    docker = container.get("docker") or {}
    if container_type == "MESOS":
        for key in ("network", "parameters", "portMappings", "credential"):
            if docker.get(key):
                out.append((f"/container/docker/{key}", "must be empty"))
    out += _network_rules(app, container)
    out += _health_rules(app, container)
    out += _constraint_rules(app.get("constraints") or [])
    out += _strategy_rules(app)
    if app.get("uris") and app.get("fetch"):
        out.append(("/uris", "may not be set in conjunction with fetch"))
    for name, value in (app.get("env") or {}).items():
        if isinstance(value, dict) and "secrets" not in features:
            out.append(
                (
                    f"/env/{name}",
                    "use of secret-references in the environment requires the secrets "
                    "feature to be enabled",
                )
            )
    return out


def _network_rules(app: dict[str, Any], container: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    networks = app.get("networks") or [{"mode": "host"}]
    modes = {n.get("mode", "container") for n in networks}
    host = modes == {"host"}
    if len(modes) > 1:
        out.append(("/networks", "Mixed network modes are not allowed"))
    if "host" in modes and len(networks) > 1:
        out.append(("/networks", "Only one host network may be specified"))
    if app.get("portDefinitions") and not host:
        out.append(("/", "portDefinitions are only allowed with host-networking"))
    if container.get("portMappings") and host:
        out.append(("/", "portMappings are not allowed with host-networking"))
    ports = app.get("portDefinitions") or []
    names = [p["name"] for p in ports if p.get("name")]
    if len(names) != len(set(names)):
        out.append(("/portDefinitions", "Port names must be unique."))
    numbers = [p["port"] for p in ports if p.get("port")]
    if len(numbers) != len(set(numbers)):
        out.append(("/portDefinitions", "Ports must be unique."))
    for i, port in enumerate(ports):
        number = port.get("port", 0)
        if not 0 <= number <= 65535:
            out.append((f"/portDefinitions({i})/port", f"got {number}, expected 0 to 65535"))
    return out


def _health_rules(app: dict[str, Any], container: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    checks = app.get("healthChecks") or []
    if sum(1 for c in checks if c.get("protocol") in _MESOS_CHECKS) > 1:
        out.append(("/", "AppDefinition can contain at most one Mesos health check"))
    ports = app.get("portDefinitions")
    n_ports = len(ports) if ports is not None else 1
    n_ports = max(n_ports, len(container.get("portMappings") or []))
    for i, check in enumerate(checks):
        protocol = check.get("protocol", "HTTP")
        if protocol == "COMMAND":
            if not (check.get("command") or {}).get("value"):
                out.append((f"/healthChecks({i})/command", "is not defined"))
            continue
        index = check.get("portIndex")
        if "port" not in check and (index or 0) >= n_ports:
            out.append(
                (
                    f"/healthChecks({i})",
                    "Health check port indices must address an element of the ports array "
                    "or container port mappings.",
                )
            )
        if check.get("ipProtocol") == "IPv6":
            out.append(
                (
                    f"/healthChecks({i})",
                    "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp "
                    "health checks",
                )
            )
    return out


def _constraint_rules(constraints: list[Any]) -> list[Violation]:
    out: list[Violation] = []
    for i, constraint in enumerate(constraints):
        path = f"/constraints({i})"
        if not isinstance(constraint, list) or len(constraint) not in (2, 3):
            out.append((path, "Each constraint must have either 2 or 3 fields"))
            continue
        operator = constraint[1]
        value = constraint[2] if len(constraint) == 3 else None
        if operator not in _OPERATORS:
            out.append(
                (
                    path,
                    "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, "
                    "MAX_PER, UNLIKE or IS",
                )
            )
        elif operator == "UNIQUE" and value is not None:
            out.append((path, "UNIQUE does not accept a value"))
        elif operator == "MAX_PER" and not str(value or "").isdigit():
            out.append((path, "MAX_PER requires an integer value"))
        elif operator in ("LIKE", "UNLIKE") and not _is_regex(value):
            out.append((path, "LIKE and UNLIKE require a non-empty, regular expression value"))
        elif operator == "GROUP_BY" and value is not None and not str(value).isdigit():
            out.append((path, "GROUP BY must define an integer value or else no value at all"))
    return out


def _is_regex(value: Any) -> bool:
    if not value or not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _strategy_rules(app: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    strategy = app.get("upgradeStrategy") or {}
    for key in ("minimumHealthCapacity", "maximumOverCapacity"):
        value = strategy.get(key)
        if value is None:
            continue
        if value > 1:
            out.append((f"/upgradeStrategy/{key}", "is greater than 1"))
        elif value < 0:
            out.append((f"/upgradeStrategy/{key}", "is less than 0"))
    unreachable = app.get("unreachableStrategy")
    if isinstance(unreachable, dict):
        inactive = unreachable.get("inactiveAfterSeconds", 0)
        expunge = unreachable.get("expungeAfterSeconds", 0)
        if inactive < 0:
            out.append(("/unreachableStrategy/inactiveAfterSeconds", f"got {inactive}, expected 0 or more"))
        if expunge < inactive:
            out.append(
                (
                    "/unreachableStrategy/expungeAfterSeconds",
                    "expungeAfterSeconds must be greater than or equal to inactiveAfterSeconds",
                )
            )
    elif unreachable not in (None, "disabled"):
        out.append(("/unreachableStrategy", "error.expected.jsobject"))
    return out
