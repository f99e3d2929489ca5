"""Marathon's event stream read as invalidations: which apps an event says may have changed.

Marathon does not promise the order of its events, and their payloads are partial (a status
update carries one task, not the app's counts), so the read view never applies a payload: it
re-reads the apps an event names, as Marathon's docs advise. No I/O here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

# The types marathon-lb follows, plus the deployment and health ones that change our status.
APP_EVENTS = (
    "api_post_event", "status_update_event", "health_status_changed_event",
    "failed_health_check_event", "unhealthy_instance_kill_event", "unhealthy_task_kill_event",
    "instance_health_changed_event", "app_terminated_event", "deployment_info",
    "deployment_success", "deployment_failed", "deployment_step_success",
    "deployment_step_failure",
)
ATTACHED = "event_stream_attached"
SUBSCRIBED = (ATTACHED, *APP_EVENTS)


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]


class EveryApp:
    """An event that may concern any app (one we cannot read): re-read everything."""


EVERY_APP = EveryApp()


async def server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    """Frames of a ``text/event-stream`` (``event:`` and ``data:`` lines, a blank line ends
    one). A frame whose data is not a JSON object is yielded with empty data, so the reader
    knows something happened that it could not read."""
    event_type, data = "message", list[str]()
    async for line in lines:
        if not line:
            if data:
                yield Event(event_type, _object("\n".join(data)))
            event_type, data = "message", []
        elif line.startswith(":"):
            continue  # a comment (keep-alive)
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event_type = value
            elif field == "data":
                data.append(value)


def _object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def apps_named(event: Event) -> set[str] | EveryApp:
    """The app ids an event says may have changed (empty: none of interest)."""
    data = event.data
    if event.type not in APP_EVENTS:
        return set()
    if event.type == "api_post_event":
        definition = data.get("appDefinition")
        app_id = definition.get("id") if isinstance(definition, dict) else None
        return {app_id} if isinstance(app_id, str) else EVERY_APP
    if event.type.startswith("deployment_"):
        return _plan_apps(data.get("plan"))
    app_id = data.get("appId")
    return {app_id} if isinstance(app_id, str) and app_id else EVERY_APP


def _plan_apps(plan: object) -> set[str] | EveryApp:
    if not isinstance(plan, dict):
        return EVERY_APP
    apps: set[str] = set()
    for step in plan.get("steps") or []:
        for action in (step.get("actions") or []) if isinstance(step, dict) else []:
            if isinstance(action, dict) and isinstance(action.get("app"), str):
                apps.add(action["app"])
    for side in ("original", "target"):
        group = plan.get(side)
        for app in (group.get("apps") or []) if isinstance(group, dict) else []:
            if isinstance(app, dict) and isinstance(app.get("id"), str):
                apps.add(app["id"])
    return apps or EVERY_APP
