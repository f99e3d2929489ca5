"""``gateway jobs ...``: submit a job request, follow its runs, read their logs, manage the job."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from gateway.cli.errors import ClientError, Exit
from gateway.cli.output import fields, hardware, owner_cell, print_json, table, when
from gateway.cli.parsing import (
    HelpFormatter,
    VerbAdder,
    add_change_options,
    add_list_verb,
    add_wait_options,
    change_body,
)
from gateway.cli.progress import StatusLine
from gateway.cli.request_file import load_request_file
from gateway.cli.session import Session

ACTIVE_RUN_STATES = ("staging", "running")


def _path(job: str, suffix: str = "") -> str:
    return f"/v1/jobs/{quote(job, safe='')}{suffix}"


def _when_text(job: dict[str, Any]) -> str:
    if job.get("parents"):
        return "after " + ", ".join(job["parents"])
    if job.get("schedule"):
        zone = job.get("timezone") or "UTC"
        return f"{job['schedule']} ({zone})"
    return "once"


def render_job(job: dict[str, Any]) -> str:
    pairs = [("id", job["id"]), ("name", job["name"]),
             ("status", f"{job['status']}: {job.get('status_reason') or ''}".rstrip(": ")),
             ("image", str(job.get("image"))), ("command", " ".join(
                 [job.get("command", ""), *job.get("args", [])])),
             ("hardware", hardware(job.get("hardware") or {})), ("runs", _when_text(job)),
             ("next run", when(job.get("next_run"))),
             ("disabled", "yes: Chronos does not schedule it" if job.get("disabled") else "no"),
             ("successes", f"{job.get('success_count', 0)} (last {when(job.get('last_success'))})"),
             ("failures", f"{job.get('error_count', 0)} (last {when(job.get('last_error'))})")]
    text = fields(pairs)
    runs = job.get("runs") or []
    if runs:
        text += "\n\n" + table([[r["id"], str(r["attempt"]), r["state"], when(r.get("started_at")),
                                 when(r.get("finished_at")), r.get("host") or "-"] for r in runs],
                               ["RUN", "ATTEMPT", "STATE", "STARTED", "FINISHED", "HOST"])
    return text


def follow(session: Session, job_id: str, baseline: dict[str, Any], *, timeout: float,
           interval: float) -> tuple[Exit, dict[str, Any]]:
    """Watch the job until a run started after ``baseline`` ends, showing progress on stderr;
    the exit code and the job as last seen."""
    seen = {run["id"]: run["state"] for run in baseline.get("runs") or []}
    before = set(seen)
    successes, failures = baseline.get("success_count", 0), baseline.get("error_count", 0)
    line = StatusLine(f"a run of {baseline['name']} to end")
    while True:
        job: dict[str, Any] = session.json("GET", _path(job_id))
        runs = job.get("runs") or []
        for run in reversed(runs):
            if seen.get(run["id"]) != run["state"]:
                seen[run["id"]] = run["state"]
                host = f" on {run['host']}" if run.get("host") else ""
                note = f": {run['message']}" if run.get("message") else ""
                line.say(f"  run {run['id']} (attempt {run['attempt']}) {run['state']}{host}{note}")
        line.update(job["status"] + (f": {job['status_reason']}" if job.get("status_reason")
                                     else ""))
        if job.get("success_count", 0) > successes:
            line.finish(f"{job['name']} succeeded")
            return Exit.OK, job
        if job.get("error_count", 0) > failures:
            line.finish(f"{job['name']} failed (no retries left)")
            return Exit.RUN_FAILED, job
        new_runs = [run for run in runs if run["id"] not in before]
        newest = new_runs[0] if new_runs else None
        idle = not any(run["state"] in ACTIVE_RUN_STATES for run in runs)
        if newest is not None and idle and newest["state"] in ("error", "killed"):
            # Chronos counts neither a killed run nor one Mesos refused: it would never end.
            line.finish(f"{job['name']} {'was killed' if newest['state'] == 'killed' else 'failed'}"
                        f": {job.get('status_reason') or newest['state']}")
            return Exit.RUN_FAILED, job
        if line.elapsed >= timeout:
            line.finish(f"gave up waiting; {job['name']} is {job['status']}")
            return Exit.WAIT_TIMEOUT, job
        time.sleep(interval)


def _report(session: Session, args: argparse.Namespace, job: dict[str, Any], before: dict[str, Any],
            human: str) -> Exit:
    """Print what the API answered, or with --wait follow the run and print the final state."""
    code = Exit.OK
    if args.wait:
        print(human, file=sys.stderr if args.output == "json" else sys.stdout, flush=True)
        code, job = follow(session, job["id"], before, timeout=args.timeout,
                           interval=args.interval)
    _show(args, job, None if args.wait else human)
    return code


def cmd_submit(session: Session, args: argparse.Namespace) -> Exit:
    body = load_request_file(args.file)
    if args.dry_run:
        print_json(session.json("POST", "/v1/jobs", params={"dry_run": "true"}, json=body))
        return Exit.OK
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    job = session.json("POST", "/v1/jobs", json=body, headers=headers)
    return _report(session, args, job, job, f"submitted {job['name']} ({job['id']}): "
                                            f"{job['status']}, next run {when(job.get('next_run'))}")


def cmd_list(session: Session, args: argparse.Namespace) -> Exit:
    items = session.all_items("/v1/jobs", {"all": "true"} if args.all else {})
    if args.output == "json":
        print_json({"items": items, "next": None})
    else:
        print(table([[j["name"], *owner_cell(args.all, j), j["status"], _when_text(j),
                      when(j.get("next_run")),
                      f"{j.get('success_count', 0)}/{j.get('error_count', 0)}"] for j in items],
                    ["NAME", *owner_cell(args.all), "STATUS", "RUNS", "NEXT RUN", "OK/FAILED"]))
    return Exit.OK


def cmd_show(session: Session, args: argparse.Namespace) -> Exit:
    job = session.json("GET", _path(args.job))
    _show(args, job, render_job(job))
    return Exit.OK


def cmd_run(session: Session, args: argparse.Namespace) -> Exit:
    before = session.json("GET", _path(args.job))
    job = session.json("POST", _path(args.job, "/run"))
    return _report(session, args, job, before, f"started {job['name']}: {job['status']}")


def cmd_kill(session: Session, args: argparse.Namespace) -> Exit:
    job = session.json("POST", _path(args.job, "/kill"))
    _show(args, job, f"killed the running tasks of {job['name']}; its schedule stays")
    return Exit.OK


def cmd_pause(session: Session, args: argparse.Namespace) -> Exit:
    job = session.json("PATCH", _path(args.job), json={"disabled": True})
    _show(args, job, f"paused {job['name']}: Chronos does not schedule it until resumed")
    return Exit.OK


def cmd_resume(session: Session, args: argparse.Namespace) -> Exit:
    job = session.json("PATCH", _path(args.job), json={"disabled": False})
    _show(args, job, f"resumed {job['name']}: {job['status']}, next run "
                     f"{when(job.get('next_run'))}")
    return Exit.OK


def cmd_update(session: Session, args: argparse.Namespace) -> Exit:
    body = load_request_file(args.file) if args.file else {}
    flags = change_body(args, ("cpus", "memory", "gpus"))
    if flags.get("hardware") and isinstance(body.get("hardware"), dict):
        flags["hardware"] = {**body["hardware"], **flags["hardware"]}
    body.update(flags)
    given = {"schedule": args.schedule, "timezone": args.timezone, "command": args.job_command,
             "retries": args.retries}
    body.update({key: value for key, value in given.items() if value is not None})
    if not body:
        raise ClientError(Exit.USAGE, "Nothing to change: give a request file or options such as "
                                      "--schedule, --command, --cpus or --env.")
    job = session.json("PATCH", _path(args.job), json=body)
    _show(args, job, f"updated {job['name']}: {job['status']}, next run "
                     f"{when(job.get('next_run'))}")
    return Exit.OK


def cmd_delete(session: Session, args: argparse.Namespace) -> Exit:
    response = session.request("DELETE", _path(args.job), params={"children": args.children})
    deleted = [d for d in response.headers.get("x-deleted-jobs", "").split(",") if d]
    if args.output == "json":
        print_json({"deleted": deleted})
    else:
        print(f"deleted {args.job}" + (f" and {len(deleted) - 1} dependent job(s)"
                                       if len(deleted) > 1 else ""))
    return Exit.OK


def cmd_logs(session: Session, args: argparse.Namespace) -> Exit:
    params: dict[str, Any] = {"stream": "stderr" if args.stderr else "stdout",
                              "follow": "true" if args.follow else "false"}
    if args.run:
        params["run"] = args.run
    if args.tail is not None:
        params["tail"] = args.tail
    session.copy_to_stdout(_path(args.job, "/logs"), params)
    return Exit.OK


def _show(args: argparse.Namespace, job: dict[str, Any], human: str | None) -> None:
    if args.output == "json":
        print_json(job)
    elif human is not None:
        print(human)


def add_job_commands(sub: Any, common: argparse.ArgumentParser,
                     runner: Callable[[argparse.Namespace], int]) -> None:
    jobs = sub.add_parser("jobs", help="batch jobs on Chronos: submit, list, show, update, run, "
                                       "kill, pause, resume, delete, logs",
                          description="Batch jobs on Chronos: run once now, on an ISO 8601 "
                                      "schedule, or after other jobs.",
                          formatter_class=HelpFormatter)
    verb = VerbAdder(jobs.add_subparsers(dest="jobs_command", required=True, metavar="VERB"),
                     common, runner)
    job_help = "the job's name (or its id, gw-<owner>-<name>)"

    submit = verb("submit", cmd_submit, "submit a job request file (YAML or JSON), e.g. "
                                        "job_specs/examples/prepare-data.yaml")
    submit.add_argument("file", help="the POST /v1/jobs body; - reads it from stdin")
    submit.add_argument("--dry-run", action="store_true",
                        help="print the Chronos job the gateway would send; send nothing")
    submit.add_argument("--idempotency-key", metavar="KEY",
                        help="retries with the same key submit only once")
    add_wait_options(submit, "its run ends", 3600.0)
    add_list_verb(verb, cmd_list, "jobs")
    verb("show", cmd_show, "one job: schedule, counts, runs").add_argument("job", help=job_help)
    run = verb("run", cmd_run, "run a job now")
    run.add_argument("job", help=job_help)
    add_wait_options(run, "the run ends", 3600.0)
    verb("kill", cmd_kill, "kill a job's running tasks").add_argument("job", help=job_help)
    verb("pause", cmd_pause, "stop scheduling a job (it stays)").add_argument("job", help=job_help)
    verb("resume", cmd_resume, "schedule a paused job again").add_argument("job", help=job_help)
    update = verb("update", cmd_update, "change a job: schedule, command, hardware, environment...")
    update.add_argument("job", help=job_help)
    update.add_argument("file", nargs="?", help="a partial request file (YAML or JSON) with only "
                                                "the fields to change; - reads it from stdin; "
                                                "the options below override it")
    update.add_argument("--schedule", metavar="ISO8601",
                        help="a new schedule, e.g. R/2026-12-01T03:00:00Z/P1D (default: unchanged)")
    update.add_argument("--timezone", metavar="ZONE", help="the schedule's time zone, e.g. "
                                                           "Europe/Madrid (default: unchanged)")
    # Not dest "command": that names the verb (`jobs`) for the error hints.
    update.add_argument("--command", dest="job_command", help="the new command line (default: unchanged)")
    update.add_argument("--retries", type=int, metavar="N",
                        help="how often a failed run is retried (default: unchanged)")
    add_change_options(update)
    delete = verb("delete", cmd_delete, "delete a job")
    delete.add_argument("job", help=job_help)
    delete.add_argument("--children", choices=("refuse", "delete"), default="refuse",
                        help="jobs that run after this one: refuse to delete it, or delete them "
                             "too")
    logs = verb("logs", cmd_logs, "output of the newest (or a chosen) run")
    logs.add_argument("job", help=job_help)
    logs.add_argument("--run", metavar="RUN_ID", help="a run id from `gateway jobs show`; "
                                                     "default: the newest run")
    logs.add_argument("--stderr", action="store_true", help="stderr instead of stdout")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
