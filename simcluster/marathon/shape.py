"""JSON-shape checks: what Marathon's generated readers refuse before any rule runs.

Messages are Play JSON's error keys (``error.expected.jsstring`` ...), collected per path.
"""

from __future__ import annotations

from typing import Any

from simcluster.marathon.errors import Violation

_STRING = "error.expected.jsstring"
_NUMBER = "error.expected.jsnumber"
_INT = "error.expected.int"
_BOOL = "error.expected.jsboolean"
_OBJECT = "error.expected.jsobject"
_ARRAY = "error.expected.jsarray"
_ENUM = "error.expected.validenumvalue"
_MISSING = "error.path.missing"

_NUMBERS = ("cpus", "mem", "disk", "backoffFactor", "backoffSeconds", "maxLaunchDelaySeconds")
_INTS = ("gpus", "instances", "taskKillGracePeriodSeconds")
_STRINGS = ("cmd", "user", "executor", "role", "version")
_HEALTH_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
_HEALTH_INTS = (
    "gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures",
    "portIndex", "port", "delaySeconds",
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def shape_violations(app: Any, *, partial: bool = False) -> list[Violation]:
    """Type errors in an app body. ``partial`` (PATCH) does not require ``id``."""
    if not isinstance(app, dict):
        return [("", _OBJECT)]
    out: list[Violation] = []
    if "id" not in app:
        if not partial:
            out.append(("/id", _MISSING))
    elif not isinstance(app["id"], str):
        out.append(("/id", _STRING))
    for key in _NUMBERS:
        if key in app and not _is_number(app[key]):
            out.append((f"/{key}", _NUMBER))
    for key in _INTS:
        if key in app and not _is_number(app[key]):
            out.append((f"/{key}", _NUMBER))
        elif key in app and not _is_int(app[key]):
            out.append((f"/{key}", _INT))
    for key in _STRINGS:
        if key in app and app[key] is not None and not isinstance(app[key], str):
            out.append((f"/{key}", _STRING))
    if "requirePorts" in app and not isinstance(app["requirePorts"], bool):
        out.append(("/requirePorts", _BOOL))
    out += _string_map(app, "labels")
    if "env" in app:
        if not isinstance(app["env"], dict):
            out.append(("/env", _OBJECT))
        else:
            for name, value in app["env"].items():
                if not isinstance(value, str | dict):
                    out.append((f"/env/{name}", _STRING))
    if "args" in app and app["args"] is not None:
        if not isinstance(app["args"], list):
            out.append(("/args", _ARRAY))
        else:
            out += [(f"/args({i})", _STRING) for i, a in enumerate(app["args"])
                    if not isinstance(a, str)]
    out += _container(app.get("container"))
    out += _list_of_objects(app, "portDefinitions")
    for i, port in enumerate(_objects(app.get("portDefinitions"))):
        if "port" in port and not _is_int(port["port"]):
            out.append((f"/portDefinitions({i})/port", _INT))
        if "name" in port and not isinstance(port["name"], str):
            out.append((f"/portDefinitions({i})/name", _STRING))
    out += _list_of_objects(app, "healthChecks")
    for i, check in enumerate(_objects(app.get("healthChecks"))):
        if "protocol" in check and check["protocol"] not in _HEALTH_PROTOCOLS:
            out.append((f"/healthChecks({i})/protocol", _ENUM))
        for key in _HEALTH_INTS:
            if key in check and not _is_int(check[key]):
                out.append((f"/healthChecks({i})/{key}", _INT))
    out += _list_of_objects(app, "networks")
    for i, network in enumerate(_objects(app.get("networks"))):
        if network.get("mode", "container") not in ("host", "container", "container/bridge"):
            out.append((f"/networks({i})/mode", _ENUM))
    if "constraints" in app and not isinstance(app["constraints"], list):
        out.append(("/constraints", _ARRAY))
    for i, constraint in enumerate(app.get("constraints") or []):
        if isinstance(constraint, list) and not all(isinstance(c, str) for c in constraint):
            out.append((f"/constraints({i})", _STRING))
    out += _numbers_in(app, "upgradeStrategy", ("minimumHealthCapacity", "maximumOverCapacity"))
    if app.get("unreachableStrategy") != "disabled":
        out += _numbers_in(app, "unreachableStrategy",
                           ("inactiveAfterSeconds", "expungeAfterSeconds"))
    for key in ("fetch", "dependencies", "acceptedResourceRoles", "uris"):
        if key in app and app[key] is not None and not isinstance(app[key], list):
            out.append((f"/{key}", _ARRAY))
    return out


def _numbers_in(app: dict[str, Any], key: str, fields: tuple[str, ...]) -> list[Violation]:
    if key not in app or app[key] is None:
        return []
    if not isinstance(app[key], dict):
        return [(f"/{key}", _OBJECT)]
    return [(f"/{key}/{f}", _NUMBER) for f in fields
            if f in app[key] and not _is_number(app[key][f])]


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _list_of_objects(app: dict[str, Any], key: str) -> list[Violation]:
    if key not in app:
        return []
    if not isinstance(app[key], list):
        return [(f"/{key}", _ARRAY)]
    return [(f"/{key}({i})", _OBJECT) for i, v in enumerate(app[key]) if not isinstance(v, dict)]


def _string_map(app: dict[str, Any], key: str) -> list[Violation]:
    if key not in app:
        return []
    if not isinstance(app[key], dict):
        return [(f"/{key}", _OBJECT)]
    return [(f"/{key}/{k}", _STRING) for k, v in app[key].items() if not isinstance(v, str)]


def _container(container: Any) -> list[Violation]:
    if container is None:
        return []
    if not isinstance(container, dict):
        return [("/container", _OBJECT)]
    out: list[Violation] = []
    if str(container.get("type", "DOCKER")) not in ("DOCKER", "MESOS"):
        out.append(("/container/type", _ENUM))
    docker = container.get("docker")
    if docker is not None:
        if not isinstance(docker, dict):
            out.append(("/container/docker", _OBJECT))
        elif "image" not in docker:
            out.append(("/container/docker/image", _MISSING))
        elif not isinstance(docker["image"], str):
            out.append(("/container/docker/image", _STRING))
    return out
