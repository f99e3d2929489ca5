"""What marathon-lb would serve, read from Marathon's apps. Pure.

marathon-lb (mesosphere/marathon-lb) writes one HAProxy frontend per service port of every app
in its group (label ``HAPROXY_GROUP``) and one backend server per task that runs and, when the
app has health checks, passes them. The per-port labels that change what is served:

* ``HAPROXY_{n}_PORT``: bind this port instead of the service port;
* ``HAPROXY_{n}_MODE``: ``http`` or ``tcp`` (default ``tcp``; ``http`` when the port has a vhost);
* ``HAPROXY_{n}_VHOST``: comma-separated host names, routed on the shared HTTP frontend by the
  request's ``Host`` header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Backend = tuple[str, int]


@dataclass(frozen=True)
class Frontend:
    port: int
    mode: str  # "http" or "tcp"
    app_id: str
    backends: tuple[Backend, ...] = ()
    vhosts: tuple[str, ...] = field(default_factory=tuple)


def frontends_from_apps(apps: list[dict[str, Any]], group: str) -> dict[int, Frontend]:
    """The frontends by bound port for the apps of ``group`` (``embed=apps.tasks`` apps)."""
    frontends: dict[int, Frontend] = {}
    for app in sorted(apps, key=lambda a: str(a.get("id"))):
        labels = app.get("labels") or {}
        groups = {g.strip() for g in str(labels.get("HAPROXY_GROUP", "")).split(",")}
        if group not in groups:
            continue
        definitions = app.get("portDefinitions") or []
        for index, definition in enumerate(definitions):
            port = _int(labels.get(f"HAPROXY_{index}_PORT")) or _int(definition.get("port"))
            if not port:
                continue
            vhosts = tuple(h.strip().lower() for h in
                           str(labels.get(f"HAPROXY_{index}_VHOST", "")).split(",") if h.strip())
            mode = str(labels.get(f"HAPROXY_{index}_MODE") or ("http" if vhosts else "tcp"))
            frontends[port] = Frontend(port=port, mode="http" if mode == "http" else "tcp",
                                       app_id=str(app.get("id")),
                                       backends=_backends(app, index), vhosts=vhosts)
    return frontends


def _backends(app: dict[str, Any], index: int) -> tuple[Backend, ...]:
    checked = bool(app.get("healthChecks"))
    servers = []
    for task in app.get("tasks") or []:
        ports = task.get("ports") or []
        if task.get("state") != "TASK_RUNNING" or len(ports) <= index:
            continue
        results = task.get("healthCheckResults") or []
        if checked and not (results and all(r.get("alive") for r in results)):
            continue  # marathon-lb sends traffic only to tasks that pass their checks
        servers.append((str(task.get("host")), int(ports[index])))
    return tuple(sorted(servers))


def _int(value: object) -> int:
    try:
        return int(str(value)) if value not in (None, "") else 0
    except ValueError:
        return 0
