"""Route templates of upstream calls, as metric labels: ids replaced, so the label set stays small.

``/v2/apps/gateway/3f9c/restart`` becomes ``/v2/apps/{id}/restart``: every segment that is not
a word of the schedulers' APIs is an id, and a run of id segments (Marathon's nested app ids) is
one ``{id}``. Pure: no I/O.
"""

from __future__ import annotations

_API_WORDS = frozenset({
    # Marathon
    "v2", "apps", "tasks", "restart", "queue", "deployments", "info", "leader", "ping", "events",
    "versions", "groups",
    # Chronos
    "v1", "scheduler", "jobs", "job", "summary", "iso8601", "dependency", "task", "kill", "graph",
    "csv",
    # Mesos master and agents
    "master", "state", "state-summary", "frameworks", "slaves", "agents", "files", "read",
    "browse", "metrics", "snapshot", "health", "redirect",
})


def route_template(path: str) -> str:
    parts: list[str] = []
    for segment in path.split("?", 1)[0].split("/"):
        if not segment:
            continue
        part = segment if segment in _API_WORDS else "{id}"
        if part == "{id}" and parts and parts[-1] == "{id}":
            continue
        parts.append(part)
    return "/" + "/".join(parts)
