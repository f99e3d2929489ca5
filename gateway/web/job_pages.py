"""My jobs: the list (admins: everyone's), one job with its run history, run now, kill, delete
(its dependents shown, and deleted with it only when asked), each run's log, and the submit form."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import EdgesDep, JobsDep
from gateway.edges import Edges
from gateway.errors import Conflict, GatewayError
from gateway.jobs import Jobs
from gateway.models.jobs import Job, JobRequest
from gateway.models.schedules import INFINITE, Period, ScheduleError, parse_schedule
from gateway.services import utc_now
from gateway.web import forms
from gateway.web.context import PostedForm, UiDep
from gateway.web.errors import WebRoute
from gateway.web.pages import ZONE_COOKIE, Ui, duration
from gateway.web.quota_view import quota_view

router = APIRouter(prefix="/ui/jobs", route_class=WebRoute, include_in_schema=False)

JOB_INPUTS = {"name", "module", "image", "command", "args", "hardware.cpus", "hardware.memory",
              "hardware.disk", "hardware.gpus", "when", "schedule", "timezone", "parents",
              "retries", "env", "storage.rclone_url", "storage.rclone_vendor",
              "storage.rclone_user", "storage.rclone_password", "description"}
LOG_LINES = 200
ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV")))


def schedule_text(ui: Ui, job: Job) -> str:
    """The schedule in words, its start in the user's zone (Chronos keeps it in ISO 8601)."""
    if job.parents:
        return "after " + ", ".join(job.parents)
    if not job.schedule:
        return "once"
    try:
        schedule = parse_schedule(job.schedule, job.timezone, utc_now())
    except ScheduleError:
        return job.schedule
    times = "for ever" if schedule.count == INFINITE else f"{schedule.count} times"
    zone = f" (in {job.timezone})" if job.timezone else ""
    return f"every {period_text(schedule.period)} from {ui.when(schedule.start)}{zone}, {times}"


def period_text(period: Period) -> str:
    """P1D -> "day", PT6H -> "6 hours", P1W -> "week" (the ISO text when milliseconds count)."""
    if period.millis:
        return period.iso()
    parts = [(n, unit) for n, unit in (
        (period.years, "year"), (period.months, "month"), (period.weeks, "week"),
        (period.days, "day"), (period.hours, "hour"), (period.minutes, "minute"),
        (period.seconds, "second")) if n]
    if len(parts) == 1 and parts[0][0] == 1:
        return parts[0][1]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts)


async def _own_jobs(jobs: Jobs, ui: Ui) -> list[Job]:
    assert ui.user is not None
    return (await jobs.list(ui.user, everyone=ui.user.is_admin, limit=500, cursor=None)).items


def dependents(job: Job, all_jobs: list[Job]) -> list[Job]:
    return [j for j in all_jobs if j.owner == job.owner and job.name in j.parents]


@router.get("", name="jobs_page")
async def jobs_page(ui: UiDep, jobs: JobsDep,
                    everyone: Annotated[bool, Query(alias="all")] = False) -> Response:
    assert ui.user is not None
    listed = (await jobs.list(ui.user, everyone=everyone, limit=500, cursor=None)).items
    return ui.render("jobs.html", jobs=listed, everyone=everyone, zones=ZONES,
                     schedule_text=schedule_text,
                     dependents={j.id: dependents(j, listed) for j in listed})


async def _job_form(ui: Ui, edges: Edges, jobs: Jobs, *, values: dict[str, str],
                    errors: forms.FieldErrors, status: int = 200) -> Response:
    assert ui.user is not None
    mine = [j for j in await _own_jobs(jobs, ui) if j.owner == ui.user.owner]
    return ui.render("job_form.html", status=status, values=values, errors=errors,
                     modules=edges.catalog.modules, own_jobs=mine, zones=ZONES,
                     quota=await quota_view(edges.quotas, ui.user),
                     chosen_parents=set(values.get("parents", "").split("\n")))


@router.get("/new", name="job_form")
async def job_form(ui: UiDep, edges: EdgesDep, jobs: JobsDep) -> Response:
    values = {"when": "now", "timezone": ui.zone.key, "storage.rclone_vendor": "nextcloud"}
    return await _job_form(ui, edges, jobs, values=values, errors={})


@router.post("/new", name="job_submit")
async def job_submit(form: PostedForm, ui: UiDep, edges: EdgesDep, jobs: JobsDep) -> Response:
    assert ui.user is not None
    errors: forms.FieldErrors = {}
    when = form.get("when")
    retries = form.get("retries")
    data = {"name": form.get("name"), "module": form.get("module") or None,
            "image": form.get("image") or None, "command": form.get("command"),
            "args": form.get("args").splitlines(), "hardware": forms.hardware(form, errors),
            "env": forms.env(form, errors), "storage": forms.storage(form),
            "description": form.get("description"),
            "retries": int(retries) if retries.isdigit() else None}
    if retries and not retries.isdigit():
        forms.add_error(errors, "retries", "Enter a whole number.")
    if when == "schedule":
        data.update(schedule=form.get("schedule"), timezone=form.get("timezone") or None)
        if not data["schedule"]:
            forms.add_error(errors, "schedule", "Give a schedule, e.g. R/2026-12-01T02:00:00/P1D.")
    elif when == "after":
        data["parents"] = form.getlist("parents")
        if not data["parents"]:
            forms.add_error(errors, "parents", "Choose at least one of your jobs.")
    user = ui.user

    async def check(request: JobRequest) -> None:
        await jobs.preview(request, user)

    async def create() -> Job:
        request = await forms.build(JobRequest, data, errors, JOB_INPUTS, check=check)
        return (await jobs.create(request, user)).job

    created, errors = await forms.submit(create, JOB_INPUTS)
    if created is not None:
        return RedirectResponse(ui.url("job_page", job_id=created.id), status_code=303)
    values = forms.shown_values(form)
    values["parents"] = "\n".join(form.getlist("parents"))
    return await _job_form(ui, edges, jobs, values=values, errors=errors, status=422)


@router.post("/timezone", name="set_timezone")
async def set_timezone(form: PostedForm, ui: UiDep) -> Response:
    zone = form.get("zone")
    response = RedirectResponse(ui.url("jobs_page"), status_code=303)
    if zone in ZONES or zone == "UTC":
        response.set_cookie(ZONE_COOKIE, zone, max_age=365 * 86400, path=ui.prefix + "/ui",
                            httponly=True, samesite="strict", secure=ui.request.url.scheme == "https")
    return response


async def _job_page(ui: Ui, jobs: Jobs, job_id: str, *, notice: str = "",
                    status: int = 200) -> Response:
    assert ui.user is not None
    job = await jobs.get(job_id, ui.user)
    return ui.render("job.html", status=status, job=job, schedule_text=schedule_text(ui, job),
                     duration=duration, dependents=dependents(job, await _own_jobs(jobs, ui)),
                     notice=notice)


@router.get("/{job_id}", name="job_page")
async def job_page(job_id: str, ui: UiDep, jobs: JobsDep) -> Response:
    return await _job_page(ui, jobs, job_id)


@router.post("/{job_id}/run", name="job_run")
async def job_run(job_id: str, form: PostedForm, ui: UiDep, jobs: JobsDep) -> Response:
    assert ui.user is not None
    try:
        await jobs.run(job_id, ui.user)
    except Conflict as exc:  # e.g. disabled: said on the job's page, beside its state
        return await _job_page(ui, jobs, job_id, notice=exc.detail, status=409)
    return RedirectResponse(ui.url("job_page", job_id=job_id), status_code=303)


@router.post("/{job_id}/kill", name="job_kill")
async def job_kill(job_id: str, form: PostedForm, ui: UiDep, jobs: JobsDep) -> Response:
    assert ui.user is not None
    await jobs.kill(job_id, ui.user)
    return RedirectResponse(ui.url("job_page", job_id=job_id), status_code=303)


@router.get("/{job_id}/delete", name="job_delete_confirm")
async def job_delete_confirm(job_id: str, ui: UiDep, jobs: JobsDep) -> Response:
    assert ui.user is not None
    job = await jobs.get(job_id, ui.user)
    return ui.render("job_delete.html", job=job, error="",
                     dependents=dependents(job, await _own_jobs(jobs, ui)))


@router.post("/{job_id}/delete", name="job_delete")
async def job_delete(job_id: str, form: PostedForm, ui: UiDep, jobs: JobsDep) -> Response:
    assert ui.user is not None
    try:
        await jobs.delete(job_id, ui.user,
                          children="delete" if form.get("children") == "delete" else "refuse")
    except Conflict as exc:
        job = await jobs.get(job_id, ui.user)
        return ui.render("job_delete.html", status=409, job=job, error=exc.detail,
                         dependents=dependents(job, await _own_jobs(jobs, ui)))
    return RedirectResponse(ui.url("jobs_page"), status_code=303)


@router.get("/{job_id}/runs/{run_id}/log", name="run_log")
async def run_log(job_id: str, run_id: str, ui: UiDep, jobs: JobsDep) -> Response:
    assert ui.user is not None
    job = await jobs.get(job_id, ui.user)
    logs: dict[str, str] = {}
    for stream in ("stdout", "stderr"):
        try:
            log = await jobs.logs(job_id, ui.user, run_id=run_id, stream=stream, lines=LOG_LINES,
                                  keep_following=False)
        except GatewayError as exc:
            logs[stream] = f"[{exc.detail}]"
        else:
            logs[stream] = log.head.decode(errors="replace")
    run = next((r for r in job.runs if r.id == run_id), None)
    return ui.render("run_log.html", job=job, run=run, logs=logs, lines=LOG_LINES)
