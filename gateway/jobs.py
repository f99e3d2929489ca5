"""Batch jobs: a request and the caller in, Chronos (and Mesos, for runs and logs) calls out.

Ownership is checked here: a job's Chronos name carries its owner key, so another user's job is
simply "not found". Creation is admitted by the owner's quota (``Quotas.admit``), whose lock also
makes the name and parent checks race-free across replicas (names are per owner, and so is the
lock). ``preview`` is the dry run: the Chronos job ``create`` would send. See gateway/services.py.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from gateway.audit import audited
from gateway.capacity import ClusterCapacity
from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.config import Settings
from gateway.errors import Conflict, Forbidden, InvalidInput, NotFound, UpstreamUnavailable
from gateway.identity import Identity
from gateway.models.common import Hardware, Page
from gateway.models.deployments import LogStream
from gateway.models.jobs import JOB_NAME, Job, JobChange, JobRequest, Run
from gateway.quotas import Quotas, RecordedOwner, Usage
from gateway.rclone import obscure
from gateway.sandbox_logs import TaskLog, task_log
from gateway.services import Clock, check_idempotency_key, require_mesos, utc_now
from gateway.translation import job_changes as changes
from gateway.translation import job_status
from gateway.translation import jobs as specs
from gateway.translation.job_templates import JobTemplates
from gateway.translation.owner_record import display_name, groups_from
from gateway.upstreams.chronos import ChronosClient
from gateway.upstreams.mesos import MesosClient

log = logging.getLogger(__name__)

ChildPolicy = Literal["refuse", "delete"]
# Inside the class ``list`` is the verb every service has, so these are named out here.
JobNames = list[str]
Runs = list[Run]


@dataclass(frozen=True)
class Submitted:
    job: Job
    replayed: bool  # True: an earlier request with the same Idempotency-Key made it


class Jobs:
    def __init__(self, *, settings: Settings, chronos: ChronosClient, mesos: MesosClient | None,
                 catalog: ModuleCatalog, templates: ServiceTemplates, job_templates: JobTemplates,
                 quotas: Quotas, capacity: ClusterCapacity | None = None,
                 clock: Clock = utc_now) -> None:
        self._settings = settings
        self._chronos = chronos
        self._catalog = catalog
        self._templates = templates
        self._job_templates = job_templates
        self._quotas = quotas
        self._capacity = capacity
        self._mesos = mesos
        self._now = clock

    @property
    def _gpus(self) -> bool:
        return self._settings.chronos_gpus

    # -- creation --------------------------------------------------------------------------

    async def preview(self, request: JobRequest, identity: Identity) -> dict[str, Any]:
        """The Chronos job ``create`` would send (secrets masked); nothing is sent or admitted."""
        resolved, job = self._translate(request, identity.owner, creator=identity)
        await self._check_fits(resolved.hardware)
        await self._check_references(request, identity)
        return specs.without_secrets(job)

    async def create(self, request: JobRequest, identity: Identity,
                     idempotency_key: str | None = None) -> Submitted:
        """Submit a job. A create whose answer Chronos lost is settled by reading it back
        (``ChronosClient.create_job``); the caller's own retry with the same Idempotency-Key
        gets the job its first attempt made, as a replay."""
        async with audited("job.create", identity, request.name) as entry:
            if idempotency_key is not None:
                check_idempotency_key(idempotency_key)
            resolved, job = self._translate(request, identity.owner, creator=identity,
                                            idempotency_key=idempotency_key)
            name = str(job["name"])
            entry.upstream_id = name
            await self._check_fits(resolved.hardware)

            async def replay_first() -> Submitted | None:
                # Checked under the owner's lock: an attempt that landed meanwhile is replayed,
                # not counted against the quota as if it were a new one.
                return await self._replay(request, identity, idempotency_key)

            async with self._quotas.admit(identity, "jobs", resolved.hardware,
                                          replay=replay_first) as earlier:
                if earlier is not None:
                    return earlier
                await self._check_references(request, identity)
                try:
                    await self._chronos.create_job(job, specs.chronos_endpoint(job))
                except UpstreamUnavailable:
                    log.warning("job %s: no answer to its create; it may have landed", name)
                    raise
        # Read back like any job: a run-now job may already be queued or running by now.
        return Submitted(await self.get(name, identity), replayed=False)

    async def _replay(self, request: JobRequest, identity: Identity,
                      key: str | None) -> Submitted | None:
        """The job an earlier request with this key made, if there is one."""
        if key is None:
            return None
        name = specs.chronos_name(identity.owner, request.name)
        there = await self._chronos.get_job(name)
        meta = job_status.job_meta(there) if there is not None else {}
        if there is None or meta.get("idempotency") != specs.idempotency_digest(identity.owner,
                                                                                 key):
            return None  # nothing, or a job of this name the key did not make: a name clash
        if meta.get("fingerprint") != specs.request_fingerprint(request):
            raise InvalidInput(
                "This Idempotency-Key was already used for a different request.",
                [{"field": "Idempotency-Key", "message": "reused with a different body"}])
        return Submitted(await self.get(name, identity), replayed=True)

    async def change(self, job_id: str, change: JobChange, identity: Identity) -> Job:
        """Apply a partial change, validated as a new job, as one Chronos replace.

        Replacing (not deleting and re-creating) keeps the jobs that run after this one intact:
        Chronos rebuilds the children of a deleted parent without their container and env.
        """
        name = self._owned_name(job_id, identity)
        owner = (specs.split_chronos_name(name) or (identity.owner,))[0]
        async with audited("job.change", identity, job_id, name), \
                self._quotas.lock.hold(owner):
            old = await self._fetch(name)
            request = changes.changed_request(old, change, gpus_supported=self._gpus)
            resolved, new = self._translate(request, owner)
            await self._check_fits(resolved.hardware)
            await self._check_parents(request, owner)
            # An administrator's change counts against the owner's quota, as the owner's would.
            holder = identity if owner == identity.owner else RecordedOwner(
                owner, groups_from(job_status.job_meta(old).get("quota_groups")))
            summary = await self._chronos.summary()
            held = Usage() if _state(summary, old) == "idle" else Usage(
                cpus=float(old.get("cpus") or 0), memory=int(old.get("mem") or 0),
                gpus=int(old.get("gpus") or 0) if self._gpus else 0)
            await self._quotas.check(holder, "jobs", resolved.hardware,
                                     replacing=held + Usage(count=1))
            job = changes.carried_over(old, new, change)
            await self._chronos.create_job(job, specs.chronos_endpoint(job))
        return await self.get(name, identity)

    def _translate(self, request: JobRequest, owner: str, *, creator: Identity | None = None,
                   idempotency_key: str | None = None,
                   ) -> tuple[specs.ResolvedJob, dict[str, Any]]:
        """The Chronos job; a ``creator`` (submitting, not changing) is recorded on it."""
        resolved = specs.resolve_job(request, self._catalog, self._templates,
                                     self._job_templates, gpus_supported=self._gpus)
        obscured = (obscure(request.storage.rclone_password.get_secret_value(),
                            iv=secrets.token_bytes(16)) if request.storage else None)
        job = specs.chronos_job_for(resolved, owner=owner, templates=self._job_templates,
                                    now=self._now(), gpus_supported=self._gpus,
                                    rclone_password_obscured=obscured,
                                    owner_name=display_name(creator) if creator else None,
                                    quota_groups=(self._quotas.groups_to_record(creator)
                                                  if creator else ()),
                                    write=secrets.token_hex(8), idempotency_key=idempotency_key)
        return resolved, job

    async def _check_fits(self, hardware: Hardware) -> None:
        if self._capacity is not None:
            await self._capacity.check_fits(hardware)

    async def _check_references(self, request: JobRequest, identity: Identity) -> None:
        # Chronos replaces a job of the same name and silently drops a job whose parent is
        # missing: both are checked here, before anything is sent.
        there = await self._chronos.get_job(specs.chronos_name(identity.owner, request.name))
        if there is not None:
            # Maybe made by an earlier submission whose answer the user did not get: say it
            # exists and where, so they look before choosing another name or deleting it.
            since = job_status.job_meta(there).get("created_at")
            raise InvalidInput(
                f"You already have a job named {request.name!r}"
                + (f" (submitted {since})" if since else "")
                + f": see it with GET /v1/jobs/{request.name}, then choose another name or "
                "delete it first. Resubmit with the same Idempotency-Key to get back the job "
                "a submission made.",
                [{"field": "name", "message": "already used by one of your jobs"}])
        await self._check_parents(request, identity.owner)

    async def _check_parents(self, request: JobRequest, owner: str) -> None:
        missing = [(index, parent) for index, parent in enumerate(request.parents)
                   if await self._chronos.get_job(specs.chronos_name(owner, parent)) is None]
        if missing:
            raise InvalidInput(
                "Parents must be existing jobs of yours: "
                + ", ".join(repr(parent) for _, parent in missing) + " not found.",
                [{"field": f"parents.{index}", "message": f"no job of yours named {parent!r}"}
                 for index, parent in missing])

    # -- reading ---------------------------------------------------------------------------

    async def list(self, identity: Identity, *, everyone: bool, limit: int,
                   cursor: str | None) -> Page[Job]:
        if everyone and not identity.is_admin:
            raise Forbidden("Only administrators may list everyone's jobs.")
        summary, listed = await self._chronos.listing()
        jobs = sorted((j for j in listed if self._visible(j, identity, everyone)),
                      key=lambda j: str(j["name"]))
        if cursor:
            jobs = [j for j in jobs if str(j["name"]) > cursor]
        page, more = jobs[:limit], len(jobs) > limit
        items = [self._view(j, live_state=_state(summary, j), runs=[]) for j in page]
        return Page[Job](items=items, next=items[-1].id if more else None)

    async def get(self, job_id: str, identity: Identity) -> Job:
        name = self._owned_name(job_id, identity)
        # The live state first: the job read after it is at least as new, so a run the summary
        # no longer shows running is already counted in it (never "succeeded" with 0 successes).
        summary = (await self._chronos.listing()).summary
        job = await self._fetch(name)
        return self._view(job, live_state=_state(summary, job), runs=await self._runs(job))

    async def usage(self, owner: str) -> Usage:
        """Quota usage source: every job counts; running or queued ones also hold resources."""
        jobs = [j for j in await self._chronos.list_jobs()
                if (specs.split_chronos_name(str(j.get("name", ""))) or ("",))[0] == owner]
        summary = await self._chronos.summary() if jobs else {}
        total = Usage(count=len(jobs))
        for job in jobs:
            if _state(summary, job) != "idle":
                total += Usage(cpus=float(job.get("cpus") or 0), memory=int(job.get("mem") or 0),
                               gpus=int(job.get("gpus") or 0) if self._gpus else 0)
        return total

    # -- actions ---------------------------------------------------------------------------

    async def run(self, job_id: str, identity: Identity) -> Job:
        """Run now. A job Chronos disabled after its last scheduled run is re-armed for one run."""
        async with audited("job.run", identity, job_id) as entry:
            job = await self._owned_job(job_id, identity)
            entry.upstream_id = str(job["name"])
            if job.get("disabled"):
                if not specs.schedule_used_up(job):
                    # Chronos would answer 204 and silently drop the run.
                    raise Conflict("This job is paused; resume it (PATCH with disabled: false) "
                                   "before running it.")
                await self._chronos.create_job(
                    specs.rearmed(job, self._now(), write=secrets.token_hex(8)),
                    specs.chronos_endpoint(job))
            else:
                before = {run.id for run in await self._runs(job)}

                async def launched() -> bool:
                    return any(run.id not in before for run in await self._runs(job))

                await self._chronos.run_job(job, launched=launched)
        return await self.get(job_id, identity)

    async def kill(self, job_id: str, identity: Identity) -> Job:
        async with audited("job.kill", identity, job_id) as entry:
            job = await self._owned_job(job_id, identity)
            entry.upstream_id = str(job["name"])
            runs = await self._runs(job)
            if self._mesos is not None and not any(r.state in ("running", "staging")
                                                   for r in runs):
                # Chronos kills running tasks only and answers 204 either way.
                raise Conflict("Nothing to kill: no run of this job is in progress.")
            await self._chronos.kill_tasks(str(job["name"]))
        return await self.get(job_id, identity)

    async def delete(self, job_id: str, identity: Identity, *, children: ChildPolicy) -> JobNames:
        """Delete the job; its dependents are refused, or deleted first when asked.

        Chronos itself would turn the children of a deleted scheduled parent into scheduled
        jobs that lose their container, environment and arguments. Returns the deleted ids.
        """
        async with audited("job.delete", identity, job_id) as entry:
            job = await self._owned_job(job_id, identity)
            entry.upstream_id = str(job["name"])
            return await self._delete(job, children)

    async def _delete(self, job: dict[str, Any], children: ChildPolicy) -> JobNames:
        all_jobs = await self._chronos.list_jobs()
        descendants = _descendants(str(job["name"]), all_jobs)
        if descendants and children == "refuse":
            names = ", ".join(job_status.user_name(d) for d in descendants)
            raise Conflict(f"Other jobs run after this one ({names}); delete them first, or "
                           "delete with children=delete.", extra={"children": descendants})
        deleted = []
        for name in [*descendants, str(job["name"])]:
            try:
                await self._chronos.delete_job(name)
            except NotFound:
                pass  # deleted meanwhile: the outcome asked for
            deleted.append(name)
        if descendants:
            log.info("job %s deleted after its dependents %s", job["name"], descendants)
        return deleted

    async def logs(self, job_id: str, identity: Identity, *, run_id: str | None,
                   stream: LogStream, lines: int | None, keep_following: bool) -> TaskLog:
        """A run's output (the newest run unless ``run_id`` names one) from its Mesos sandbox."""
        mesos = require_mesos(self._mesos, "Runs and logs")
        job = await self._owned_job(job_id, identity)
        runs = await self._runs(job)
        run = next((r for r in runs if r.id == run_id), None) if run_id else \
            (runs[0] if runs else None)
        if run_id and run is None:
            raise NotFound("No such run of this job.")
        if run is None:
            # The job exists, so not 404: it has no run (Mesos remembers) to read logs from.
            raise Conflict("This job has not run yet (or Mesos no longer remembers its runs).")
        sandbox = await mesos.sandbox(run.id)

        async def still_running() -> bool:
            current = next((r for r in await self._runs(job) if r.id == run.id), None)
            return current is not None and current.state in ("running", "staging")

        return await task_log(mesos, sandbox, stream, lines,
                              still_running=still_running if keep_following else None)

    # -- helpers ---------------------------------------------------------------------------

    async def _runs(self, job: dict[str, Any]) -> Runs:
        if self._mesos is None:
            return []
        return job_status.runs_from_mesos_state(await self._mesos.state(), str(job["name"]))

    def _view(self, job: dict[str, Any], *, live_state: str, runs: Runs) -> Job:
        try:
            return job_status.job_view(job, live_state=live_state, runs=runs, now=self._now(),
                                       gpus_supported=self._gpus)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            # One job Chronos holds in a shape we cannot read must not break every listing:
            # it is shown as unknown, so its owner can still see and delete it.
            log.warning("cannot read Chronos job %r", job.get("name"), exc_info=True)
            return job_status.unreadable_job(job)

    @staticmethod
    def _visible(job: dict[str, Any], identity: Identity, everyone: bool) -> bool:
        split = specs.split_chronos_name(str(job.get("name", "")))
        return split is not None and (everyone or split[0] == identity.owner)

    async def _owned_job(self, job_id: str, identity: Identity) -> dict[str, Any]:
        return await self._fetch(self._owned_name(job_id, identity))

    @staticmethod
    def _owned_name(job_id: str, identity: Identity) -> str:
        """The Chronos name of a job the caller may act on; checked before any URL is built."""
        # A full id (gw-<owner>-<name>) or the caller's bare name.
        split = specs.split_chronos_name(job_id)
        owner, name = split if split else (identity.owner, job_id)
        if not JOB_NAME.fullmatch(name) or not identity.may_act_for(owner):
            raise NotFound("No such job.")
        return specs.chronos_name(owner, name)

    async def _fetch(self, chronos_name: str) -> dict[str, Any]:
        job = await self._chronos.get_job(chronos_name)
        if job is None:
            raise NotFound("No such job.")
        return job


def _state(summary: dict[str, dict[str, Any]], job: dict[str, Any]) -> str:
    return str((summary.get(str(job.get("name"))) or {}).get("state") or "idle")


def _descendants(name: str, jobs: list[dict[str, Any]]) -> list[str]:
    """Every job that (transitively) runs after ``name``, deepest first: safe deletion order."""
    children: dict[str, list[str]] = {}
    for job in jobs:
        for parent in job.get("parents") or []:
            children.setdefault(str(parent), []).append(str(job.get("name")))
    order: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> None:
        for child in sorted(children.get(node, [])):
            if child not in seen:
                seen.add(child)
                visit(child)
                order.append(child)

    visit(name)
    return order
