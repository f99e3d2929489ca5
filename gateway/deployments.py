"""Deployments: a request and the caller in, Marathon calls out. Ownership is checked here.

Creation is admitted by the owner's quota (``Quotas.admit``). The gateway names every app
itself, so a create whose answer Marathon lost (a leader crash mid-request, a dropped or slow
answer) is settled by sending it again (``MarathonClient.create_app``): the user gets the one
app, with or without an Idempotency-Key. Such a key names the app deterministically, so the
user's own retried POST finds (or, racing, collides with) the app of the first attempt instead
of creating a second one. See gateway/services.py for the contract.

Lists and gets are served from the read view (gateway/read_view/) while it is live, without
asking Marathon, and from Marathon otherwise. Every change made here is written into the view
before the call returns, so the caller's next read on this replica shows it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from gateway.audit import audited
from gateway.capacity import ClusterCapacity
from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.config import Settings
from gateway.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    UpstreamError,
    UpstreamUnavailable,
)
from gateway.identity import Identity
from gateway.models import Deployment, DeploymentRequest, LogStream, Page
from gateway.models.deployments import DeploymentChange
from gateway.quotas import Quotas, RecordedOwner, Usage
from gateway.rclone import obscure
from gateway.read_view import ReadView
from gateway.sandbox_logs import TaskLog, task_log
from gateway.services import Clock, check_idempotency_key, require_mesos, utc_now
from gateway.translation import deployment_changes as changes
from gateway.translation import deployment_status as status
from gateway.translation import deployments as specs
from gateway.translation.owner_record import groups_from
from gateway.upstreams.marathon import MarathonClient
from gateway.upstreams.mesos import MesosClient, Sandbox

log = logging.getLogger(__name__)

# Inside the class ``list`` is the verb every service has, so these are named out here. An app
# with its launch-queue entry (None when it has none, or it was not read):
Listed = list[tuple[dict[str, Any], dict[str, Any] | None]]
Apps = list[dict[str, Any]]
DeploymentViews = list[Deployment]


@dataclass(frozen=True)
class Created:
    deployment: Deployment
    replayed: bool  # True: an earlier request with the same Idempotency-Key made it


class Deployments:
    def __init__(self, *, settings: Settings, marathon: MarathonClient, mesos: MesosClient | None,
                 catalog: ModuleCatalog, templates: ServiceTemplates, quotas: Quotas,
                 view: ReadView | None = None, capacity: ClusterCapacity | None = None,
                 clock: Clock = utc_now) -> None:
        self._settings = settings
        self._now = clock
        self._catalog = catalog
        self._marathon = marathon
        self._mesos = mesos
        self._templates = templates
        self._quotas = quotas
        self._read_view = view
        self._capacity = capacity
        self._main_ports: dict[str, str] = {kind: s.main_port for kind, s in templates.services.items()}

    # -- creation --------------------------------------------------------------------------

    async def create(self, request: DeploymentRequest, identity: Identity,
                     idempotency_key: str | None = None) -> Created:
        async with audited("deployment.create", identity, "(new)") as entry:
            created = await self._create(request, identity, idempotency_key)
            entry.target = created.deployment.id
            entry.upstream_id = specs.marathon_app_id(self._settings.marathon_group,
                                                      created.deployment.id)
            return created

    async def resolve(self, request: DeploymentRequest) -> DeploymentRequest:
        """The request as it would be deployed (image and hardware from the catalog), within its
        bounds and what the cluster could ever hold; InvalidInput otherwise. Sends nothing."""
        resolved = specs.resolve_deployment(request, self._catalog, self._templates)
        if self._capacity is not None:
            await self._capacity.check_fits(resolved.hardware)
        return resolved

    async def _create(self, request: DeploymentRequest, identity: Identity,
                      idempotency_key: str | None) -> Created:
        resolved = await self.resolve(request)
        if idempotency_key is not None:
            check_idempotency_key(idempotency_key)
            replay = await self._replay(resolved, identity, idempotency_key)
            if replay is not None:
                return replay
            deployment_id = specs.idempotent_deployment_id(identity.owner, idempotency_key)
        else:
            deployment_id = secrets.token_hex(12)
        obscured = (obscure(resolved.storage.rclone_password.get_secret_value(),
                            iv=secrets.token_bytes(16)) if resolved.storage else None)
        app = specs.marathon_app_for(
            resolved, identity=identity, deployment_id=deployment_id,
            templates=self._templates, group=self._settings.marathon_group,
            created_at=self._now(), rclone_password_obscured=obscured,
            idempotency_key=idempotency_key, vhost_domain=self._settings.lb_domain,
            secrets_key=secrets.token_bytes(16) if idempotency_key is not None else None,
            quota_groups=self._quotas.groups_to_record(identity))
        async def replay_first() -> Created | None:
            # The first attempt may have finished while this one waited for the owner's lock:
            # it is replayed, not counted against the quota as if it were a new one.
            if idempotency_key is None:
                return None
            return await self._replay(resolved, identity, idempotency_key)

        async with self._quotas.admit(identity, "deployments", resolved.hardware,
                                      replay=replay_first) as earlier:
            if earlier is not None:
                return earlier
            try:
                created = await self._marathon.create_app(app)
            except Conflict:
                # Same key, another replica or an earlier attempt won the race: replay its app.
                if idempotency_key is None:
                    raise
                replay = await self._replay(resolved, identity, idempotency_key)
                if replay is None:
                    raise
                return replay
            except UpstreamUnavailable:
                await self._forget(app["id"])
                raise
        if self._read_view is not None:
            self._read_view.record(created)
        return Created(self._view(created), replayed=False)

    async def _replay(self, resolved: DeploymentRequest, identity: Identity,
                      key: str) -> Created | None:
        apps = await self._marathon.list_apps(specs.idempotency_selector(identity.owner, key))
        if not apps:
            return None
        app = apps[0]
        labels = app.get("labels") or {}
        if labels.get(specs.FINGERPRINT_LABEL) != specs.request_fingerprint(resolved) or \
                not specs.same_secrets(resolved, labels.get(specs.SECRETS_LABEL)):
            raise InvalidInput(
                "This Idempotency-Key was already used for a different request.",
                [{"field": "Idempotency-Key", "message": "reused with a different body"}])
        queue = await self._marathon.queue() if not app.get("tasksRunning") else {}
        [view] = await self._views([(app, queue.get(app["id"]))])
        return Created(view, replayed=True)

    async def _forget(self, app_id: str) -> None:
        # No attempt of the POST was answered, so it may or may not have landed; an app the
        # user was told failed must not linger (and count against the quota).
        try:
            await self._marathon.delete_app(app_id)
        except Exception:  # best effort: the original error is what the user sees
            log.warning("could not remove app %s after a failed create", app_id)

    # -- reading ---------------------------------------------------------------------------

    async def list(self, identity: Identity, *, everyone: bool, limit: int,
                   cursor: str | None) -> Page[Deployment]:
        owner = _listed_owner(identity, everyone)
        view = self._live_view()
        listed: list[tuple[dict[str, Any], dict[str, Any] | None]]
        if view is not None:
            listed = view.table.apps_of(owner)
        else:
            selector = specs.owner_selector(owner) if owner else specs.all_deployments_selector()
            listed = [(app, None) for app in await self._marathon.list_apps(selector)]
        # Sorted by what the cursor compares: the deployment id, not the full app id, whose
        # group prefix may differ (apps made under an earlier GATEWAY_MARATHON_GROUP).
        listed.sort(key=lambda pair: _deployment_id(pair[0]))
        if cursor:
            listed = [pair for pair in listed if _deployment_id(pair[0]) > cursor]
        page, more = listed[:limit], len(listed) > limit
        if view is None and any(not app.get("tasksRunning") for app, _ in page):
            queue = await self._marathon.queue()
            page = [(app, queue.get(app["id"])) for app, _ in page]
        items = await self._views(page)
        return Page[Deployment](items=items, next=items[-1].id if more else None)

    def list_tag(self, identity: Identity, *, everyone: bool) -> str | None:
        """A version of what ``list`` would return, which changes whenever that does; None
        when it cannot be known without asking Marathon (the read view is not live)."""
        owner = _listed_owner(identity, everyone)
        view = self._live_view()
        return None if view is None else view.tag(owner)

    async def get(self, deployment_id: str, identity: Identity) -> Deployment:
        view = self._live_view()
        found = None if view is None else view.table.get(self._app_id(deployment_id))
        if found is not None:
            if not _may_see(found[0], identity):
                raise NotFound("No such deployment.")
            [deployment] = await self._views([found])
            return deployment
        # Not in the view (or no live view): another replica may have made it a moment ago, and
        # this view hears of it only from Marathon's events; Marathon knows it already.
        app = await self._owned_app(deployment_id, identity)
        queue = await self._marathon.queue() if not app.get("tasksRunning") else {}
        [deployment] = await self._views([(app, queue.get(app["id"]))])
        return deployment

    async def usage(self, owner: str) -> Usage:
        """Quota usage source: every app of the owner holds or waits for its resources."""
        total = Usage()
        for app in await self._marathon.list_apps(specs.owner_selector(owner), with_tasks=False):
            instances = int(app.get("instances", 1))
            total += Usage(cpus=float(app.get("cpus", 0)) * instances,
                           memory=int(app.get("mem", 0)) * instances,
                           gpus=int(app.get("gpus", 0)) * instances, count=1)
        return total

    # -- actions ---------------------------------------------------------------------------

    async def delete(self, deployment_id: str, identity: Identity) -> None:
        async with audited("deployment.delete", identity, deployment_id) as entry:
            app = await self._owned_app(deployment_id, identity)
            entry.upstream_id = app["id"]
            await self._marathon.delete_app(app["id"])
        await self._refresh_view(app["id"])

    async def change(self, deployment_id: str, change: DeploymentChange,
                     identity: Identity) -> Deployment:
        """Hardware, environment or description, as one Marathon update (see
        translation/deployment_changes.py), within the bounds and quota of a new deployment."""
        async with audited("deployment.change", identity, deployment_id) as entry:
            app = await self._owned_app(deployment_id, identity)
            entry.upstream_id = app["id"]
            labels = app.get("labels") or {}
            owner = str(labels.get(specs.OWNER_LABEL))
            hardware, image = changes.changed_hardware(app, change, self._catalog,
                                                       self._templates)
            if self._capacity is not None:
                await self._capacity.check_fits(hardware)
            update = changes.app_update(app, change, hardware, image)
            # An administrator's change counts against the owner's quota, as the owner's would.
            holder = identity if owner == identity.owner else RecordedOwner(
                owner, groups_from(labels.get(specs.QUOTA_GROUPS_LABEL)))
            async with self._quotas.lock.hold(owner):
                held = Usage.of(changes.app_hardware(app), int(app.get("instances", 1)))
                await self._quotas.check(holder, "deployments", hardware,
                                         replacing=Usage(held.cpus, held.memory, held.gpus, 1))
                await self._marathon.update_app(str(app["id"]), update)
        await self._refresh_view(app["id"])
        return await self.get(deployment_id, identity)

    async def restart(self, deployment_id: str, identity: Identity) -> Deployment:
        async with audited("deployment.restart", identity, deployment_id) as entry:
            app = await self._owned_app(deployment_id, identity)
            entry.upstream_id = app["id"]
            await self._marathon.restart_app(app["id"])
        await self._refresh_view(app["id"])
        return await self.get(deployment_id, identity)

    async def logs(self, deployment_id: str, identity: Identity, *, stream: LogStream,
                   lines: int | None, keep_following: bool) -> TaskLog:
        """The current (or, when none runs, the last) task's output from its Mesos sandbox."""
        mesos = require_mesos(self._mesos, "Logs")
        app = await self._owned_app(deployment_id, identity)
        sandbox = await self._current_sandbox(mesos, app)
        app_id = app["id"]

        async def still_running() -> bool:
            current = await self._marathon.get_app(app_id)
            return current is not None and sandbox.task_id in {
                t.get("id") for t in current.get("tasks") or []}

        return await task_log(mesos, sandbox, stream, lines,
                              still_running=still_running if keep_following else None)

    async def _current_sandbox(self, mesos: MesosClient, app: dict[str, Any]) -> Sandbox:
        tasks = sorted(app.get("tasks") or [], key=lambda t: str(t.get("startedAt") or ""),
                       reverse=True)
        if tasks:
            return await mesos.sandbox(str(tasks[0]["id"]))
        # No task now (crash loop, or waiting): the newest finished one explains what happened.
        prefix = _task_prefix(app)
        done = [t for t in await mesos.framework_tasks(self._settings.marathon_framework)
                if t.id.startswith(prefix)]
        if not done:
            # It exists, so not 404: the state has no logs yet (GET it for why it waits).
            raise Conflict("This deployment has not started a task yet, so there are no logs.")
        return await mesos.sandbox(done[0].id)

    # -- helpers ---------------------------------------------------------------------------

    def _view(self, app: dict[str, Any], queue_entry: dict[str, Any] | None = None,
              crashes: int | None = None) -> Deployment:
        try:
            return status.deployment_from_app(
                app, lb_host=self._settings.lb_host, queue_entry=queue_entry,
                main_ports=self._main_ports, vhost_scheme=self._settings.lb_vhost_scheme,
                crashes=crashes)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            # One app in a shape we cannot read must not break every listing: it is shown as
            # unknown, so its owner can still see and delete it.
            log.warning("cannot read Marathon app %r", app.get("id"), exc_info=True)
            return status.unreadable_deployment(app)

    async def _views(self, listed: Listed) -> DeploymentViews:
        crashes = await self._crashes([app for app, _ in listed if app.get("lastTaskFailure")
                                       and not app.get("tasksRunning")])
        return [self._view(app, entry, crashes.get(str(app.get("id")))) for app, entry in listed]

    async def _crashes(self, apps: Apps) -> dict[str, int]:
        """Failures in a row of each crashed app, from the Mesos master's finished tasks."""
        if not apps or self._mesos is None:
            return {}
        try:
            tasks = await self._mesos.framework_tasks(self._settings.marathon_framework)
        except (UpstreamError, UpstreamUnavailable):
            return {}  # the status then says "restarting", never a failure it cannot tell
        counts = {}
        for app in apps:
            prefix = _task_prefix(app)
            counts[str(app["id"])] = status.crashes_in_a_row(
                [t.state for t in tasks if t.id.startswith(prefix) and not t.active])
        return counts

    async def _owned_app(self, deployment_id: str, identity: Identity) -> dict[str, Any]:
        app = await self._marathon.get_app(self._app_id(deployment_id))
        if app is None or not _may_see(app, identity):
            raise NotFound("No such deployment.")
        return app

    def _app_id(self, deployment_id: str) -> str:
        # Ids are checked before they reach a URL (or the view); another user's app is "not
        # found" too.
        if not specs.is_deployment_id(deployment_id):
            raise NotFound("No such deployment.")
        return specs.marathon_app_id(self._settings.marathon_group, deployment_id)

    def _live_view(self) -> ReadView | None:
        view = self._read_view
        return view if view is not None and view.live else None

    async def _refresh_view(self, app_id: str) -> None:
        if self._read_view is not None:
            await self._read_view.refresh(app_id)


def _task_prefix(app: dict[str, Any]) -> str:
    """How Marathon's Mesos task ids of this app start."""
    return str(app["id"]).lstrip("/").replace("/", "_") + "."


def _listed_owner(identity: Identity, everyone: bool) -> str | None:
    """Whose deployments a list shows: the caller's, or everyone's (None) for an admin."""
    if everyone and not identity.is_admin:
        raise Forbidden("Only administrators may list everyone's deployments.")
    return None if everyone else identity.owner


def _may_see(app: dict[str, Any], identity: Identity) -> bool:
    return specs.is_deployment(app) and \
        identity.may_act_for(str(app["labels"].get(specs.OWNER_LABEL)))


def _deployment_id(app: dict[str, Any]) -> str:
    return str(app["id"]).rsplit("/", 1)[-1]
