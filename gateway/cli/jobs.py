"""``gateway jobs ...``: submit a job request, follow its runs, read their logs, manage the job."""

from __future__ import annotations

import argparse
import time
from typing import Any
from urllib.parse import quote

from gateway.cli.errors import Exit
from gateway.cli.output import fields, hardware, print_json, progress, table, when
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
           interval: float) -> Exit:
    """Watch the job until a run started after ``baseline`` ends; report progress on stderr."""
    seen = {run["id"]: run["state"] for run in baseline.get("runs") or []}
    before = set(seen)
    successes, failures = baseline.get("success_count", 0), baseline.get("error_count", 0)
    deadline = time.monotonic() + timeout
    progress(f"waiting for {baseline['name']} to run ({baseline['status']})...")
    while True:
        job = session.json("GET", _path(job_id))
        runs = job.get("runs") or []
        for run in reversed(runs):
            if seen.get(run["id"]) != run["state"]:
                seen[run["id"]] = run["state"]
                host = f" on {run['host']}" if run.get("host") else ""
                note = f": {run['message']}" if run.get("message") else ""
                progress(f"  run {run['id']} (attempt {run['attempt']}) {run['state']}{host}{note}")
        if job.get("success_count", 0) > successes:
            progress(f"{job['name']} succeeded.")
            return Exit.OK
        if job.get("error_count", 0) > failures:
            progress(f"{job['name']} failed (no retries left).")
            return Exit.RUN_FAILED
        new_runs = [run for run in runs if run["id"] not in before]
        newest = new_runs[0] if new_runs else None
        idle = not any(run["state"] in ACTIVE_RUN_STATES for run in runs)
        if newest is not None and idle and newest["state"] in ("error", "killed"):
            # Chronos counts neither a killed run nor one Mesos refused: it would never end.
            progress(f"{job['name']} {'was killed' if newest['state'] == 'killed' else 'failed'}: "
                     f"{job.get('status_reason') or newest['state']}")
            return Exit.RUN_FAILED
        if time.monotonic() >= deadline:
            progress(f"gave up waiting after {timeout:g} s; {job['name']} is {job['status']}.")
            return Exit.WAIT_TIMEOUT
        time.sleep(interval)


def cmd_submit(session: Session, args: argparse.Namespace) -> Exit:
    body = load_request_file(args.file)
    if args.dry_run:
        print_json(session.json("POST", "/v1/jobs", params={"dry_run": "true"}, json=body))
        return Exit.OK
    job = session.json("POST", "/v1/jobs", json=body)
    _show(args, job, f"submitted {job['name']} ({job['id']}): {job['status']}, next run "
                     f"{when(job.get('next_run'))}")
    return follow(session, job["id"], job, timeout=args.timeout, interval=args.interval) \
        if args.wait else Exit.OK


def cmd_list(session: Session, args: argparse.Namespace) -> Exit:
    items = session.all_items("/v1/jobs", {"all": "true"} if args.all else {})
    if args.output == "json":
        print_json({"items": items, "next": None})
    else:
        print(table([[j["name"], j["status"], _when_text(j), when(j.get("next_run")),
                      f"{j.get('success_count', 0)}/{j.get('error_count', 0)}"] for j in items],
                    ["NAME", "STATUS", "RUNS", "NEXT RUN", "OK/FAILED"]))
    return Exit.OK


def cmd_show(session: Session, args: argparse.Namespace) -> Exit:
    job = session.json("GET", _path(args.job))
    _show(args, job, render_job(job))
    return Exit.OK


def cmd_run(session: Session, args: argparse.Namespace) -> Exit:
    before = session.json("GET", _path(args.job))
    job = session.json("POST", _path(args.job, "/run"))
    _show(args, job, f"started {job['name']}: {job['status']}")
    return follow(session, job["id"], before, timeout=args.timeout, interval=args.interval) \
        if args.wait else Exit.OK


def cmd_kill(session: Session, args: argparse.Namespace) -> Exit:
    job = session.json("POST", _path(args.job, "/kill"))
    _show(args, job, f"killed the running tasks of {job['name']}; its schedule stays")
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


def _show(args: argparse.Namespace, job: dict[str, Any], human: str) -> None:
    if args.output == "json":
        print_json(job)
    else:
        print(human)


def add_job_commands(sub: Any, common: argparse.ArgumentParser,
                         runner: Any) -> None:
    jobs = sub.add_parser("jobs", help="batch jobs on Chronos: submit, list, show, run, kill, "
                                       "delete, logs")
    verbs = jobs.add_subparsers(dest="jobs_command", required=True, metavar="VERB")

    def verb(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = verbs.add_parser(name, parents=[common], help=help_text)
        parser.set_defaults(func=runner, client_func=func)
        return parser

    def waiting(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--wait", action="store_true",
                            help="follow the run to its end; exit 1 if it failed")
        parser.add_argument("--timeout", type=float, default=3600.0,
                            help="seconds --wait waits before giving up (exit 124)")
        parser.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)

    submit = verb("submit", cmd_submit, "submit a job request file (YAML or JSON; - for stdin)")
    submit.add_argument("file")
    submit.add_argument("--dry-run", action="store_true",
                        help="print the Chronos job the gateway would send; send nothing")
    waiting(submit)
    listing = verb("list", cmd_list, "your jobs")
    listing.add_argument("--all", action="store_true", help="administrators: everyone's jobs")
    verb("show", cmd_show, "one job: schedule, counts, runs").add_argument("job")
    run = verb("run", cmd_run, "run a job now")
    run.add_argument("job")
    waiting(run)
    verb("kill", cmd_kill, "kill a job's running tasks").add_argument("job")
    delete = verb("delete", cmd_delete, "delete a job")
    delete.add_argument("job")
    delete.add_argument("--children", choices=("refuse", "delete"), default="refuse",
                        help="jobs that run after this one: refuse (default) or delete them too")
    logs = verb("logs", cmd_logs, "output of the newest (or a chosen) run")
    logs.add_argument("job")
    logs.add_argument("--run", help="a run id from `gateway jobs show`")
    logs.add_argument("--stderr", action="store_true", help="stderr instead of stdout")
    logs.add_argument("--tail", type=int, help="only the last N lines")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")

