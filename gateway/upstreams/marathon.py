"""Marathon v2 REST API, the calls the gateway needs, with Marathon's errors mapped to ours."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx

from gateway.discovery import Leader
from gateway.errors import Conflict, InvalidInput, NotFound, UpstreamError, UpstreamUnavailable
from gateway.upstreams.upstream import UpstreamClient


def marathon_has_no_leader(response: httpx.Response) -> bool:
    # Standbys answer 503 (1.5-1.6) or 502 (1.7+) with an HTML page while no leader is elected.
    return response.status_code in (502, 503) and "current leader" in response.text


class MarathonClient:
    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream

    async def create_app(self, app: dict[str, Any]) -> dict[str, Any]:
        """Create the app; its id is the gateway's choice, so a lost answer is settled by
        sending it again: Marathon refuses an id it has (409), and an app there that carries
        every label of this one is this very app, landed by the earlier attempt. Any other
        app under that id is a genuine clash (Conflict)."""
        response = await self._upstream.request("POST", "/v2/apps", json=app, idempotent=False,
                                                creates=True)
        if response.status_code == 409:
            there = await self.get_app(str(app["id"]))
            if there is not None and _carries_labels(there, app.get("labels") or {}):
                return there
        return _json_or_raise(response, what=f"app {app.get('id')}")

    async def get_app(self, app_id: str) -> dict[str, Any] | None:
        response = await self._upstream.request(
            "GET", f"/v2/apps{app_id}", params={"embed": ["app.tasks", "app.lastTaskFailure"]},
            idempotent=True)
        if response.status_code == 404:
            return None
        app = _json_or_raise(response, what=f"app {app_id}").get("app")
        if not isinstance(app, dict):
            raise UpstreamError("Marathon answered with an unexpected document.")
        return app

    async def list_apps(self, label_selector: str, *, with_tasks: bool = True,
                        shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                        ) -> list[dict[str, Any]]:
        """Apps matching a label selector; ``with_tasks=False`` for resource sums (cheaper).

        ``shape`` is applied to each app as soon as it is parsed, so a caller that keeps only
        part of each app never holds all of them whole at once (thousands of apps are tens of
        megabytes as Python objects)."""
        params: dict[str, Any] = {"label": label_selector}
        if with_tasks:
            params["embed"] = ["apps.tasks", "apps.lastTaskFailure"]
        response = await self._upstream.request("GET", "/v2/apps", params=params, idempotent=True)
        hook = None if shape is None else _apps_shaped(shape)
        apps = _json_or_raise(response, what="apps", object_hook=hook).get("apps")
        return [a for a in apps if isinstance(a, dict)] if isinstance(apps, list) else []

    async def delete_app(self, app_id: str) -> None:
        """Remove the app; one that is already gone is fine (a repeated DELETE finds nothing)."""
        response = await self._upstream.request("DELETE", f"/v2/apps{app_id}",
                                                params={"force": "true"}, idempotent=True)
        if response.status_code == 404:
            return
        _json_or_raise(response, what=f"app {app_id}")

    async def update_app(self, app_id: str, fields: dict[str, Any]) -> None:
        """Change the given fields (Marathon's partial update), overriding a deployment that
        waits: a change is often what lets a waiting app be placed."""
        # The same fields sent twice end in the same app: safe to repeat.
        response = await self._upstream.request("PUT", f"/v2/apps{app_id}", json=fields,
                                                params={"force": "true"}, idempotent=True)
        if response.status_code == 404:
            raise NotFound("No such deployment.")
        _json_or_raise(response, what=f"app {app_id}")

    async def restart_app(self, app_id: str) -> None:
        # Not repeated after a lost answer: a second restart would kill the new task again.
        response = await self._upstream.request("POST", f"/v2/apps{app_id}/restart",
                                                params={"force": "true"}, idempotent=False)
        if response.status_code == 404:
            raise NotFound("No such deployment.")
        _json_or_raise(response, what=f"app {app_id}")

    async def queue(self) -> dict[str, dict[str, Any]]:
        """The launch queue, by app id: why apps wait (e.g. InsufficientGpus)."""
        response = await self._upstream.request("GET", "/v2/queue", idempotent=True)
        entries = _json_or_raise(response, what="queue").get("queue") or []
        return {e["app"]["id"]: e for e in entries
                if isinstance(e, dict) and isinstance(e.get("app"), dict) and "id" in e["app"]}


    @contextlib.asynccontextmanager
    async def events(self, event_types: Iterable[str], *,
                     idle_timeout: float) -> AsyncIterator[tuple[Leader, httpx.Response]]:
        """The leader's ``/v2/events`` stream (server-sent events) of the given types, and the
        leader it comes from. Raises UpstreamError when Marathon does not open it."""
        async with self._upstream.stream(
                "/v2/events", params={"event_type": list(event_types)},
                accept="text/event-stream", read_timeout=idle_timeout) as (leader, response):
            if response.status_code != 200:
                raise UpstreamError(f"Marathon did not open its event stream "
                                    f"(HTTP {response.status_code}).")
            yield leader, response


def _carries_labels(app: dict[str, Any], labels: dict[str, Any]) -> bool:
    # Two requests share an id only through an Idempotency-Key, and then each app carries a
    # random key of its request (gateway.secrets): another request's app never has them all.
    held = app.get("labels")
    return bool(labels) and isinstance(held, dict) and \
        all(held.get(name) == value for name, value in labels.items())


def _apps_shaped(shape: Callable[[dict[str, Any]], dict[str, Any]],
                 ) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def hook(value: dict[str, Any]) -> dict[str, Any]:
        # Parsed inside out: an app's tasks and labels are done when the app itself comes.
        return shape(value) if "instances" in value and "labels" in value and "id" in value \
            else value

    return hook


def _json_or_raise(response: httpx.Response, *, what: str,
                   object_hook: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    status = response.status_code
    if 200 <= status < 300:
        try:
            data = json.loads(response.content, object_hook=object_hook)
        except ValueError:
            raise UpstreamError("Marathon answered with something that is not JSON.") from None
        return data if isinstance(data, dict) else {"items": data}
    body = _safe_json(response)
    message = str(body.get("message") or "")
    if status == 409:
        raise Conflict(f"Marathon refused to change {what}: it is locked or already exists.")
    if status == 422:
        errors = []
        details = body.get("details")
        for detail in details if isinstance(details, list) else []:
            if not isinstance(detail, dict):
                continue
            for text in detail.get("errors") or []:
                errors.append({"field": f"marathon{detail.get('path', '/')}", "message": str(text)})
        raise InvalidInput(f"Marathon refused {what}: {message or 'invalid'}.", errors)
    if status == 403 and "running deployments" in message:
        # TooManyRunningDeploymentsException: Marathon's own limit, a passing condition.
        raise UpstreamUnavailable("Marathon is busy with too many deployments; try again shortly.",
                                  extra={"scheduler": "marathon"})
    if status in (401, 403):
        raise UpstreamError("The gateway's credentials for Marathon were refused.")
    raise UpstreamError(f"Marathon failed on {what} (HTTP {status}).")


def _safe_json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
