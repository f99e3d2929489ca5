"""Deployments: a request and the caller in, Marathon calls out. Ownership is checked here."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.clients.marathon import MarathonClient
from gateway.config import Settings
from gateway.errors import NotFound
from gateway.identity import Identity
from gateway.models import Deployment, DeploymentRequest, Page
from gateway.rclone import obscure
from gateway.specs import deployments as specs


class Deployments:
    def __init__(self, settings: Settings, marathon: MarathonClient,
                 templates: ServiceTemplates, catalog: ModuleCatalog) -> None:
        self._settings = settings
        self._catalog = catalog
        self._marathon = marathon
        self._templates = templates

    async def create(self, request: DeploymentRequest, identity: Identity) -> Deployment:
        request = specs.resolve_deployment(request, self._catalog, self._templates)
        deployment_id = secrets.token_hex(12)
        obscured = (obscure(request.storage.rclone_password.get_secret_value(),
                            iv=secrets.token_bytes(16)) if request.storage else None)
        app = specs.marathon_app_for(
            request, identity=identity, deployment_id=deployment_id,
            templates=self._templates, group=self._settings.marathon_group,
            created_at=datetime.now(UTC), rclone_password_obscured=obscured)
        created = await self._marathon.create_app(app)
        return specs.deployment_from_app(created, lb_host=self._settings.lb_host)

    async def list(self, identity: Identity, *, everyone: bool, limit: int,
                   cursor: str | None) -> Page[Deployment]:
        selector = (f"{specs.KIND_LABEL}==deployment" if everyone and identity.is_admin
                    else specs.owner_selector(identity.owner))
        apps = sorted(await self._marathon.list_apps(selector), key=lambda a: str(a["id"]))
        if cursor:
            apps = [a for a in apps if str(a["id"]) > cursor]
        page, more = apps[:limit], len(apps) > limit
        queue = await self._marathon.queue() if any(not a.get("tasksRunning") for a in page) else {}
        items = [specs.deployment_from_app(a, lb_host=self._settings.lb_host,
                                           queue_entry=queue.get(a["id"])) for a in page]
        return Page[Deployment](items=items, next=str(page[-1]["id"]) if more else None)

    async def get(self, deployment_id: str, identity: Identity) -> Deployment:
        app = await self._owned_app(deployment_id, identity)
        queue = await self._marathon.queue() if not app.get("tasksRunning") else {}
        return specs.deployment_from_app(app, lb_host=self._settings.lb_host,
                                         queue_entry=queue.get(app["id"]))

    async def delete(self, deployment_id: str, identity: Identity) -> None:
        app = await self._owned_app(deployment_id, identity)
        await self._marathon.delete_app(app["id"])

    async def restart(self, deployment_id: str, identity: Identity) -> None:
        app = await self._owned_app(deployment_id, identity)
        await self._marathon.restart_app(app["id"])

    async def _owned_app(self, deployment_id: str, identity: Identity) -> dict[str, Any]:
        # Ids are checked before they reach a URL; another user's app is "not found" too.
        if not specs.is_deployment_id(deployment_id):
            raise NotFound("No such deployment.")
        app = await self._marathon.get_app(
            specs.marathon_app_id(self._settings.marathon_group, deployment_id))
        labels = (app or {}).get("labels") or {}
        if app is None or not isinstance(labels, dict) or \
                not identity.may_act_for(str(labels.get(specs.OWNER_LABEL))):
            raise NotFound("No such deployment.")
        return app
