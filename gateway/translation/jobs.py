"""Pure translation of job requests into Chronos jobs.

No I/O: a request, the caller's owner key, the operators' templates and "now" go in, a plain
dict comes out. Everything Chronos would turn into an HTML 500, drop silently or misread is
refused here with a 422 naming the field (the Chronos fact sheet, section 12, lists them).

Chronos job names are global and are the only key a job has, so the gateway derives them from
the owner key and the user's name: ``gw-<owner>-<name>``. The owner key has a fixed length, so a
user's name can never reach into another owner's namespace.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.errors import InvalidInput
from gateway.models.common import Hardware
from gateway.models.jobs import JobRequest
from gateway.models.schedules import Period, Schedule, ScheduleError, format_instant, parse_schedule
from gateway.translation.job_templates import JobTemplates
from gateway.translation.workload import (
    check_hardware_bounds,
    check_user_env,
    image_source,
    requested_hardware,
)

JOB_PREFIX = "gw-"
OWNER_KEY_LENGTH = 32
# Gateway facts about the job that Chronos has no field for (it has no labels). The GATEWAY_
# prefix is reserved, so a user cannot set or spoof it.
META_ENV = "GATEWAY_JOB"
RCLONE_ENV = "RCLONE_CONFIG_RSHARE_"
# Chronos' own "no schedule" default is R1/<now>/PT24H; the gateway writes it out so the job
# JSON says what will happen.
RUN_ONCE_PERIOD = Period(hours=24)


@dataclass(frozen=True)
class ResolvedJob:
    """A request with what the catalog and the operators decide filled in."""

    request: JobRequest
    image: str
    hardware: Hardware
    retries: int


def chronos_name(owner: str, name: str) -> str:
    return f"{JOB_PREFIX}{owner}-{name}"


def split_chronos_name(job_name: str) -> tuple[str, str] | None:
    """(owner, name) of a job the gateway made; None for any other Chronos job."""
    head = len(JOB_PREFIX) + OWNER_KEY_LENGTH
    if not job_name.startswith(JOB_PREFIX) or len(job_name) <= head + 1 or job_name[head] != "-":
        return None
    owner = job_name[len(JOB_PREFIX):head]
    if any(ch not in "0123456789abcdef" for ch in owner):
        return None
    return owner, job_name[head + 1:]


def resolve_job(request: JobRequest, catalog: ModuleCatalog, templates: ServiceTemplates,
                job_templates: JobTemplates, *, gpus_supported: bool) -> ResolvedJob:
    """Image, hardware and retries fixed by the catalog, the raw-image policy and the templates."""
    check_user_env(request.env)
    if request.timezone and not request.schedule:
        raise InvalidInput("A time zone only applies to a schedule.",
                           [{"field": "timezone", "message": "give a schedule, or leave it out"}])
    module, bounds = image_source(request.module, request.image, catalog, templates)
    hardware = requested_hardware(request.hardware, request.model_fields_set, bounds)
    if hardware.gpus > 0 and not gpus_supported:
        # Without the GPU patch Chronos never gets offers from GPU agents: the job would be
        # queued for ever with no error anywhere.
        raise InvalidInput(
            "This cluster's Chronos cannot run jobs with GPUs (it lacks GPU support), so such a "
            "job would wait for ever. Ask for gpus: 0, or deploy a service instead.",
            [{"field": "hardware.gpus", "message": "GPUs are not supported for jobs here"}])
    check_hardware_bounds(hardware, bounds, templates.limits)
    retries = job_templates.retries.default if request.retries is None else request.retries
    if retries > job_templates.retries.max:
        raise InvalidInput(f"At most {job_templates.retries.max} retries are allowed.",
                           [{"field": "retries", "message": f"at most {job_templates.retries.max}"}])
    image = module.image_for(hardware.gpus) if module else str(request.image)
    return ResolvedJob(request, image, hardware, retries)


def job_schedule(request: JobRequest, now: datetime) -> Schedule | None:
    """The schedule to send: the user's (a past start moved forward), run-once-now, or None for
    a dependent job."""
    if request.parents:
        return None
    if request.schedule is None:
        return Schedule(1, now.astimezone(UTC), RUN_ONCE_PERIOD, "UTC")
    try:
        schedule = parse_schedule(request.schedule, request.timezone, now)
        # Allow a little slack so "start now" written by a script a moment ago still means now.
        return schedule.skipped_forward(now - timedelta(seconds=5))
    except ScheduleError as exc:
        raise InvalidInput(f"The schedule is not valid: {exc}.",
                           [{"field": "schedule", "message": str(exc)}]) from None


def shell_command(command: str, args: list[str]) -> str:
    """The command line Chronos runs with /bin/sh -c.

    Arguments are quoted here and never sent as Chronos ``arguments``: Chronos would append
    them unquoted, strip every ``;`` and also put them into the Mesos task id.
    """
    return " ".join([command, *(shlex.quote(arg) for arg in args)])


def chronos_job_for(
    resolved: ResolvedJob,
    *,
    owner: str,
    templates: JobTemplates,
    now: datetime,
    gpus_supported: bool,
    rclone_password_obscured: str | None = None,
    owner_name: str | None = None,
    quota_groups: Sequence[str] = (),
    write: str,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The Chronos job for a resolved request (parents given by the user's names). The owner's
    name (from ``display_name``) and quota groups go into the job's META_ENV: Chronos
    has no labels, and its ``ownerName`` is what Chronos' own UI shows, kept to the owner key.

    ``write`` is a nonce of this one write, so reading the job back tells whether this very
    write landed (see ``ChronosClient.create_job``); an ``idempotency_key`` is recorded as a
    digest with the request's fingerprint, so a retry with the key finds what it made."""
    request, hardware = resolved.request, resolved.hardware
    env = dict(request.env)
    if request.storage is not None:
        if rclone_password_obscured is None:
            raise ValueError("storage needs the obscured rclone password")
        env.update({
            RCLONE_ENV + "TYPE": "webdav",
            RCLONE_ENV + "URL": request.storage.rclone_url,
            RCLONE_ENV + "VENDOR": request.storage.rclone_vendor,
            RCLONE_ENV + "USER": request.storage.rclone_user,
            RCLONE_ENV + "PASS": rclone_password_obscured,
        })
    schedule = job_schedule(request, now)
    meta: dict[str, Any] = {
        "name": request.name, "owner": owner, "module": request.module,
        "command": request.command, "args": request.args,
        "run": "parents" if request.parents else ("schedule" if request.schedule else "now"),
        "created_at": format_instant(now.astimezone(UTC)),
    }
    if owner_name:
        meta["owner_name"] = owner_name
    if quota_groups:
        meta["quota_groups"] = sorted(quota_groups)
    meta["write"] = write
    if idempotency_key is not None:
        meta["idempotency"] = idempotency_digest(owner, idempotency_key)
        meta["fingerprint"] = request_fingerprint(request)
    env[META_ENV] = json.dumps(meta, separators=(",", ":"), sort_keys=True)

    job: dict[str, Any] = {
        "name": chronos_name(owner, request.name),
        "description": request.description,
        "ownerName": owner,
        "command": shell_command(request.command, request.args),
        **templates.chronos_fields(),
        "retries": resolved.retries,
        "cpus": hardware.cpus,
        "mem": hardware.memory,
        "disk": hardware.disk,
    }
    # Only a PR-810 build reads gpus, and it reads 0 as "the --mesos_task_gpu default".
    if gpus_supported and hardware.gpus > 0:
        job["gpus"] = hardware.gpus
    job.update({
        "disabled": request.disabled,
        "container": {"type": "MESOS", "image": resolved.image,
                      "forcePullImage": templates.container.force_pull_image},
        "environmentVariables": [{"name": name, "value": value} for name, value in env.items()],
        "fetch": [{"uri": uri, "executable": False, "cache": False, "extract": True}
                  for uri in request.fetch],
        "constraints": [list(c) for c in templates.constraints.for_gpus(hardware.gpus)],
    })
    if schedule is None:
        job["parents"] = [chronos_name(owner, parent) for parent in request.parents]
    else:
        job["schedule"] = schedule.iso()
        job["scheduleTimeZone"] = schedule.zone
    return job


def idempotency_digest(owner: str, key: str) -> str:
    return _digest("idempotency", owner, key)


def request_fingerprint(request: JobRequest) -> str:
    """A digest of the request without its secret (a password digest could be brute-forced)."""
    data = request.model_dump(mode="json")
    if data.get("storage"):
        data["storage"].pop("rclone_password", None)
    return _digest("request", json.dumps(data, sort_keys=True, separators=(",", ":")))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def schedule_used_up(job: dict[str, Any]) -> bool:
    """Every run of the job's schedule was launched (Chronos then disables it: R0)."""
    schedule = str(job.get("schedule") or "")
    return not job.get("parents") and schedule.startswith("R0/")


def rearmed(job: dict[str, Any], now: datetime, *, write: str) -> dict[str, Any]:
    """The job (as Chronos returned it) enabled again with one run, due now, marked with the
    nonce of this ``write`` (without it, a re-armed job that ran is the job before).

    Chronos keeps no other way to run a job whose schedule is used up: a run of a disabled job
    is dropped. The counts and last outcomes are sent back as read, since a POST overwrites them.
    """
    period = str(job.get("schedule") or "").rsplit("/", 1)[-1] or RUN_ONCE_PERIOD.iso()
    env = []
    for entry in job.get("environmentVariables") or []:
        if isinstance(entry, dict) and entry.get("name") == META_ENV:
            try:
                meta = json.loads(str(entry.get("value")))
            except ValueError:
                meta = {}
            meta = {**(meta if isinstance(meta, dict) else {}), "write": write}
            entry = {**entry, "value": json.dumps(meta, separators=(",", ":"), sort_keys=True)}
        env.append(entry)
    return {**job, "environmentVariables": env, "disabled": False,
            "schedule": f"R1/{format_instant(now.astimezone(UTC))}/{period}",
            "scheduleTimeZone": "UTC"}


def chronos_endpoint(job: dict[str, Any]) -> str:
    """Chronos takes dependent jobs on one route and scheduled ones on another."""
    return "/v1/scheduler/dependency" if job.get("parents") else "/v1/scheduler/iso8601"


def without_secrets(job: dict[str, Any]) -> dict[str, Any]:
    """The job as shown to a user (dry run): the obscured storage password masked."""
    shown = dict(job)
    shown["environmentVariables"] = [
        {"name": e["name"], "value": "********" if e["name"] == RCLONE_ENV + "PASS" else e["value"]}
        for e in job.get("environmentVariables", [])]
    return shown
