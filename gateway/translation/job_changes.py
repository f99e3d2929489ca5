"""A change to an existing job (``PATCH``), validated as a new job and sent as Chronos' replace.

Pure. The job as Chronos holds it is turned back into the request that made it, the change is
applied, and the result is validated by ``JobRequest`` like any submission. What Chronos keeps
that a request cannot say is carried over from the old job: the schedule as Chronos advanced it
(when the change leaves it alone, so a run-once job is not run again), the counts and last
outcomes (a POST overwrites them), the obscured storage password, when it was created and what
was recorded of its creator (name, quota groups).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from gateway.errors import InvalidInput
from gateway.models.jobs import JobChange, JobRequest
from gateway.models.messages import field_errors
from gateway.translation.job_status import job_meta, user_name
from gateway.translation.jobs import META_ENV, RCLONE_ENV

# Server-kept fields a Chronos POST would otherwise reset.
_COUNTS = ("successCount", "errorCount", "errorsSinceLastSuccess", "lastSuccess", "lastError")


def request_of(job: dict[str, Any], *, gpus_supported: bool) -> dict[str, Any]:
    """The submission (as JSON) that describes the job now, without schedule and storage."""
    meta = job_meta(job)
    module = meta.get("module")
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else None
    env = {str(e.get("name")): str(e.get("value", "")) for e in job.get("environmentVariables") or []
           if isinstance(e, dict)}
    return {
        "name": meta.get("name") or user_name(str(job.get("name"))),
        "module": module, "image": None if module else image,
        "command": meta.get("command") or job.get("command"), "args": meta.get("args") or [],
        "hardware": {"cpus": job.get("cpus"), "memory": job.get("mem"), "disk": job.get("disk"),
                     "gpus": int(job.get("gpus") or 0) if gpus_supported else 0},
        "parents": [user_name(str(p)) for p in job.get("parents") or []],
        "retries": job.get("retries"),
        "env": {k: v for k, v in env.items() if k != META_ENV and not k.startswith(RCLONE_ENV)},
        "fetch": [str(f.get("uri")) for f in job.get("fetch") or [] if isinstance(f, dict)],
        "description": job.get("description") or "", "disabled": bool(job.get("disabled")),
    }


def changed_request(job: dict[str, Any], change: JobChange, *,
                    gpus_supported: bool) -> JobRequest:
    """The request for the changed job, validated as a submission (422 naming the fields)."""
    asked = change.model_dump(exclude_unset=True)
    body = request_of(job, gpus_supported=gpus_supported)
    if "module" in asked:
        body["image"] = None
    if "image" in asked:
        body["module"] = None
    if isinstance(asked.get("hardware"), dict):
        asked["hardware"] = {**body["hardware"], **asked["hardware"]}
    if ("timezone" in asked) and "schedule" not in asked and job.get("schedule") and \
            not job.get("parents"):
        asked["schedule"] = job["schedule"]
    body.update(asked)
    if bool(body["parents"]) != bool(job.get("parents")):
        raise InvalidInput(
            "A job cannot switch between running after parents and running on its own; submit a "
            "new job instead.", [{"field": "parents", "message": "cannot be added or removed"}])
    try:
        return JobRequest.model_validate(body)
    except ValidationError as exc:
        errors = field_errors(exc.errors(), JobRequest)
        raise InvalidInput("The changed job is not valid: " + ", ".join(
            dict.fromkeys(e["field"] for e in errors)) + ".", errors) from None


def carried_over(old: dict[str, Any], new: dict[str, Any], change: JobChange) -> dict[str, Any]:
    """The new Chronos job with what only the old one knows carried over."""
    job = dict(new)
    for key in _COUNTS:
        if key in old:
            job[key] = old[key]
    meta = json.loads(_env_value(job, META_ENV) or "{}")
    old_meta = job_meta(old)
    meta["created_at"] = old_meta.get("created_at", meta.get("created_at"))
    # What was recorded of the creator stays theirs, whoever changes the job.
    for key in ("owner_name", "quota_groups"):
        meta.pop(key, None)
        if key in old_meta:
            meta[key] = old_meta[key]
    env = [e for e in job["environmentVariables"] if e["name"] != META_ENV]
    if not {"schedule", "timezone"} & change.model_fields_set and not old.get("parents"):
        # Left alone: Chronos' own (advanced) schedule, so nothing runs again or sooner.
        job["schedule"] = old.get("schedule")
        job["scheduleTimeZone"] = old.get("scheduleTimeZone") or ""
        meta["run"] = old_meta.get("run", meta.get("run"))
    if "storage" not in change.model_fields_set:
        env = [e for e in env if not e["name"].startswith(RCLONE_ENV)] + [
            e for e in old.get("environmentVariables") or []
            if isinstance(e, dict) and str(e.get("name", "")).startswith(RCLONE_ENV)]
    job["environmentVariables"] = [
        *env, {"name": META_ENV, "value": json.dumps(meta, separators=(",", ":"), sort_keys=True)}]
    return job


def _env_value(job: dict[str, Any], name: str) -> str | None:
    return next((str(e.get("value")) for e in job.get("environmentVariables") or []
                 if isinstance(e, dict) and e.get("name") == name), None)
