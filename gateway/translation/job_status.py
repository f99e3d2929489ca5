"""Reading Chronos jobs and Mesos tasks back into the gateway's job view. Pure.

Durable facts (counts, last success and error, disabled) come from the job JSON, which Chronos
keeps in ZooKeeper. The live state (queued, running) comes from the summary, which lives in
Chronos' memory. Chronos keeps no per-run history without Cassandra, so runs are rebuilt from the
Mesos master's tasks: Chronos names them ``ct:<due millis>:<attempt>:<job>:<args>``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from gateway.models.common import HardwareView
from gateway.models.jobs import Job, JobStatus, Run, RunState, StorageView
from gateway.models.schedules import read_schedule
from gateway.translation.jobs import META_ENV, RCLONE_ENV, split_chronos_name
from gateway.translation.owner_record import clean_name

TASK_ID = re.compile(r"^ct:(?P<due>\d+):(?P<attempt>\d+):(?P<job>[\w.-]+):?(?P<args>.*)$")
_RUN_STATES: dict[str, RunState] = {
    "TASK_STAGING": "staging", "TASK_STARTING": "staging", "TASK_RUNNING": "running",
    "TASK_FINISHED": "succeeded", "TASK_FAILED": "failed", "TASK_KILLED": "killed",
    "TASK_KILLING": "running", "TASK_LOST": "lost", "TASK_DROPPED": "lost",
    "TASK_GONE": "lost", "TASK_UNREACHABLE": "lost", "TASK_ERROR": "error",
}
_TERMINAL = {"succeeded", "failed", "killed", "lost", "error"}


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _from_epoch(value: object) -> datetime | None:
    return datetime.fromtimestamp(float(value), tz=UTC) if isinstance(value, int | float) else None


def job_meta(job: dict[str, Any]) -> dict[str, Any]:
    env = _env(job)
    try:
        meta = json.loads(env.get(META_ENV, "{}"))
    except ValueError:
        meta = {}
    return meta if isinstance(meta, dict) else {}


def _env(job: dict[str, Any]) -> dict[str, str]:
    entries = job.get("environmentVariables")
    return {str(e.get("name")): str(e.get("value", "")) for e in entries
            if isinstance(e, dict)} if isinstance(entries, list) else {}


def runs_from_mesos_state(state: dict[str, Any], job_name: str) -> list[Run]:
    """The job's runs the Mesos master remembers (active and completed), newest first."""
    hosts = {a.get("id"): a.get("hostname") for a in state.get("slaves") or [] if isinstance(a, dict)}
    runs = []
    for framework in (state.get("frameworks") or []) + (state.get("completed_frameworks") or []):
        if not isinstance(framework, dict):
            continue
        for key in ("tasks", "unreachable_tasks", "completed_tasks"):
            for task in framework.get(key) or []:
                match = TASK_ID.match(str(task.get("id", ""))) if isinstance(task, dict) else None
                if match and match["job"] == job_name:
                    runs.append(_run(task, match, hosts))
    # A task can be listed twice while it moves to completed; keep one.
    unique = {run.id: run for run in sorted(runs, key=lambda r: r.state in _TERMINAL)}
    return sorted(unique.values(), key=lambda r: (r.due_at or datetime.min.replace(tzinfo=UTC),
                                                  r.attempt), reverse=True)


def _run(task: dict[str, Any], match: re.Match[str], hosts: dict[Any, Any]) -> Run:
    mesos_state = str(task.get("state", "TASK_STAGING"))
    statuses = [s for s in task.get("statuses") or [] if isinstance(s, dict)]
    started = next((s.get("timestamp") for s in statuses if s.get("state") == "TASK_RUNNING"), None)
    state = _RUN_STATES.get(mesos_state, "lost")
    finished = None
    message = ""
    if state in _TERMINAL and statuses:
        last = statuses[-1]
        finished = last.get("timestamp")
        message = str(last.get("message") or "")
    return Run(id=str(task["id"]), attempt=int(match["attempt"]),
               due_at=datetime.fromtimestamp(int(match["due"]) / 1000, tz=UTC),
               started_at=_from_epoch(started), finished_at=_from_epoch(finished), state=state,
               mesos_state=mesos_state, host=hosts.get(task.get("slave_id")), message=message[:500])


def job_status(job: dict[str, Any], live_state: str, runs: list[Run],
               now: datetime) -> tuple[JobStatus, str]:
    """Our status and a sentence saying why."""
    if live_state.endswith("running") or any(r.state in ("running", "staging") for r in runs):
        return "running", "A run is in progress."
    last_success, last_error = parse_time(job.get("lastSuccess")), parse_time(job.get("lastError"))
    newest = runs[0] if runs else None
    # Chronos ignores TASK_ERROR (e.g. an image Mesos cannot run): it counts nothing and may show
    # the job queued for ever. Mesos still knows, so say so.
    if newest is not None and newest.state == "error" and (
            newest.finished_at is None or all(t is None or t < newest.finished_at
                                              for t in (last_success, last_error))):
        return "failed", f"Mesos refused to run the task: {newest.message or 'TASK_ERROR'}."
    if live_state == "queued":
        return "queued", "Waiting for resources on an agent."
    failed_last = last_error is not None and (last_success is None or last_error >= last_success)
    schedule = read_schedule(str(job.get("schedule") or ""), str(job.get("scheduleTimeZone") or ""))
    finished = schedule is not None and schedule.count == 0
    if finished or (job_meta(job).get("run") == "now" and (last_success or last_error)):
        return _finished_status(job, newest, last_success, last_error, failed_last)
    if job.get("disabled"):
        return "disabled", "Paused: it is not scheduled until it is resumed."
    if schedule is not None and schedule.start <= now:
        return "queued", "Due now; Chronos starts it within a minute."
    if job.get("parents"):
        return "scheduled", "Runs after each success of " + ", ".join(
            user_name(p) for p in job["parents"]) + "."
    if failed_last:
        return "scheduled", "The last run failed; the next one is scheduled."
    return "scheduled", "Waiting for the next run on the schedule."


def _finished_status(job: dict[str, Any], newest: Run | None, last_success: datetime | None,
                     last_error: datetime | None, failed_last: bool) -> tuple[JobStatus, str]:
    """Every run the schedule had was launched: the outcome of the last one, honestly."""
    rerun = " It can be run again."
    outcome_at = max((t for t in (last_success, last_error) if t is not None), default=None)
    if newest is not None and newest.state == "killed" and (
            outcome_at is None or newest.finished_at is None or newest.finished_at > outcome_at):
        # Chronos counts a killed run as neither success nor error.
        return "failed", f"The last run was killed; no run is left.{rerun}"
    if failed_last:
        return "failed", f"The last run failed and no run is left.{rerun}"
    if last_success is not None:
        done = "All runs are done."
        if job.get("disabled"):
            done += " Chronos disabled the job after its last run."
        return "succeeded", done + rerun
    # Launched, but neither Chronos nor Mesos reports an outcome yet.
    return "queued", "Handed to Mesos; waiting for the run to start."


def user_name(job_name: str) -> str:
    split = split_chronos_name(str(job_name))
    return split[1] if split else str(job_name)


def job_view(job: dict[str, Any], *, live_state: str, runs: list[Run], now: datetime,
             gpus_supported: bool) -> Job:
    name = str(job.get("name", ""))
    owner, bare_name = split_chronos_name(name) or ("", name)
    meta = job_meta(job)
    env = _env(job)
    user_env = {k: v for k, v in env.items() if k != META_ENV and not k.startswith(RCLONE_ENV)}
    storage = None
    if RCLONE_ENV + "URL" in env:
        storage = StorageView(rclone_url=env[RCLONE_ENV + "URL"],
                              rclone_vendor=env.get(RCLONE_ENV + "VENDOR", ""),
                              rclone_user=env.get(RCLONE_ENV + "USER", ""))
    schedule_text = str(job.get("schedule") or "") or None
    zone = str(job.get("scheduleTimeZone") or "") or None
    schedule = read_schedule(schedule_text or "", zone or "")
    status, reason = job_status(job, live_state, runs, now)
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else None
    return Job(
        id=name, name=bare_name, owner=owner, owner_name=clean_name(meta.get("owner_name")),
        module=meta.get("module"),
        image=image, command=str(meta.get("command") or job.get("command", "")),
        args=[str(a) for a in meta.get("args") or []],
        hardware=HardwareView(
            cpus=float(job.get("cpus") or 0), memory=int(job.get("mem") or 0),
            disk=int(job.get("disk") or 0),
            gpus=int(job.get("gpus") or 0) if gpus_supported else 0),
        schedule=schedule_text if meta.get("run") != "now" else None,
        timezone=zone if meta.get("run") != "now" else None,
        parents=[user_name(p) for p in job.get("parents") or []],
        retries=int(job.get("retries") or 0), env=user_env, storage=storage,
        fetch=[str(f.get("uri")) for f in job.get("fetch") or [] if isinstance(f, dict)],
        description=str(job.get("description") or ""), disabled=bool(job.get("disabled")),
        created_at=parse_time(meta.get("created_at")), status=status, status_reason=reason,
        next_run=(schedule.next_run(now) if schedule and status in ("scheduled", "queued", "running")
                  else None),
        success_count=int(job.get("successCount") or 0),
        error_count=int(job.get("errorCount") or 0),
        last_success=parse_time(job.get("lastSuccess")),
        last_error=parse_time(job.get("lastError")), runs=runs)



def unreadable_job(job: dict[str, Any]) -> Job:
    """What can be said of a job whose stored shape the gateway cannot read: its name."""
    name = str(job.get("name", ""))
    owner, bare_name = split_chronos_name(name) or ("", name)
    return Job(id=name, name=bare_name, owner=owner,
               owner_name=clean_name(job_meta(job).get("owner_name")), command="",
               hardware=HardwareView(cpus=0.0, memory=0, disk=0, gpus=0),
               status="unknown",
               status_reason="Chronos holds this job in a form the gateway cannot read; delete "
                             "it and submit it again.")
