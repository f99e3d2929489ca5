"""``gateway deploy | list | show | update | restart | delete | logs``: services (Marathon
apps) from scripts."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any
from urllib.parse import quote

from gateway.cli.errors import ClientError, Exit
from gateway.cli.output import fields, hardware, owner_cell, print_json, print_object, table, when
from gateway.cli.parsing import (
    VerbAdder,
    add_change_options,
    add_list_verb,
    add_wait_options,
    change_body,
)
from gateway.cli.progress import StatusLine
from gateway.cli.request_file import load_request_file
from gateway.cli.session import Session


def _path(deployment: str, suffix: str = "") -> str:
    return f"/v1/deployments/{quote(deployment, safe='')}{suffix}"


def render_deployment(deployment: dict[str, Any]) -> str:
    status = deployment["status"]
    if deployment.get("status_reason"):
        status += f": {deployment['status_reason']}"
    pairs = [("id", deployment["id"]), ("status", status),
             ("image", str(deployment.get("image"))), ("service", deployment.get("service", "")),
             ("hardware", hardware(deployment.get("hardware") or {})),
             ("created", when(deployment.get("created_at")))]
    pairs += [(f"endpoint {name}", url) for name, url in (deployment.get("endpoints") or {}).items()]
    text = fields(pairs)
    tasks = deployment.get("tasks") or []
    if tasks:
        text += "\n\n" + table([[t["id"], t["state"], t.get("host") or "-",
                                 when(t.get("started_at"))] for t in tasks],
                               ["TASK", "STATE", "HOST", "STARTED"])
    return text


def _task_ids(deployment: dict[str, Any]) -> set[str]:
    return {task["id"] for task in deployment.get("tasks") or []}


def _wait_running(session: Session, deployment: dict[str, Any], *, timeout: float,
                  interval: float, replacing: set[str] | frozenset[str] = frozenset()
                  ) -> tuple[Exit, dict[str, Any]]:
    """Poll until it runs (on tasks other than ``replacing``), fails or time is up; the exit
    code and the last state seen."""
    line = StatusLine(f"deployment {deployment['id']} to run" + (" again" if replacing else ""))
    while True:
        current: dict[str, Any] = session.json("GET", _path(deployment["id"]))
        reason = current.get("status_reason") or ""
        old = _task_ids(current) & replacing
        line.update(current["status"] + (f": {reason}" if reason else "") +
                    (" (the old task still runs)" if old else ""))
        if current["status"] == "running" and not old:
            line.finish(f"{current['id']} is running")
            for name, url in (current.get("endpoints") or {}).items():
                line.say(f"  {name}: {url}")
            return Exit.OK, current
        if current["status"] == "failed":
            line.finish(f"{current['id']} failed: {reason or 'no reason given'}")
            return Exit.RUN_FAILED, current
        if line.elapsed >= timeout:
            line.finish(f"gave up waiting; {current['id']} is {current['status']}")
            return Exit.WAIT_TIMEOUT, current
        time.sleep(interval)


def _report(session: Session, args: argparse.Namespace, deployment: dict[str, Any],
            human: str, replacing: set[str] | frozenset[str] = frozenset()) -> Exit:
    """Print what the API answered, or with --wait follow it and print the final state."""
    code = Exit.OK
    if args.wait:
        print(human, file=sys.stderr if args.output == "json" else sys.stdout, flush=True)
        code, deployment = _wait_running(session, deployment, timeout=args.timeout,
                                         interval=args.interval, replacing=replacing)
    if args.output == "json":
        print_json(deployment)
    elif not args.wait:
        print(human)
    return code


def cmd_deploy(session: Session, args: argparse.Namespace) -> Exit:
    body = load_request_file(args.file)
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    deployment = session.json("POST", "/v1/deployments", json=body, headers=headers)
    return _report(session, args, deployment, f"deployed {deployment['id']}: "
                                              f"{deployment['status']}")


def cmd_restart(session: Session, args: argparse.Namespace) -> Exit:
    before = _task_ids(session.json("GET", _path(args.deployment))) if args.wait else set()
    deployment = session.json("POST", _path(args.deployment, "/restart"))
    return _report(session, args, deployment, f"restarting {deployment['id']}: "
                                              f"{deployment['status']}", replacing=before)


def cmd_update(session: Session, args: argparse.Namespace) -> Exit:
    body = change_body(args, ("cpus", "memory", "gpus", "disk"))
    if not body:
        raise ClientError(Exit.USAGE, "Nothing to change: give --cpus, --memory, --gpus, --disk, "
                                      "--env or --description.")
    before = _task_ids(session.json("GET", _path(args.deployment))) if args.wait else set()
    deployment = session.json("PATCH", _path(args.deployment), json=body)
    # Marathon replaces the task for any change, so --wait waits for a new one.
    return _report(session, args, deployment, f"updating {deployment['id']}: "
                                              f"{deployment['status']}", replacing=before)


def cmd_list(session: Session, args: argparse.Namespace) -> Exit:
    items = session.all_items("/v1/deployments", {"all": "true"} if args.all else {})
    if args.output == "json":
        print_json({"items": items, "next": None})
    else:
        print(table([[d["id"], *owner_cell(args.all, d), d["status"], str(d.get("image")),
                      hardware(d.get("hardware") or {}), d.get("main_endpoint") or "-"]
                     for d in items],
                    ["ID", *owner_cell(args.all), "STATUS", "IMAGE", "HARDWARE", "ENDPOINT"]))
    return Exit.OK


def cmd_show(session: Session, args: argparse.Namespace) -> Exit:
    print_object(args.output, session.json("GET", _path(args.deployment)), render_deployment)
    return Exit.OK


def cmd_delete(session: Session, args: argparse.Namespace) -> Exit:
    session.request("DELETE", _path(args.deployment))
    if args.output == "json":
        print_json({"deleted": [args.deployment]})
    else:
        print(f"deleted {args.deployment}")
    return Exit.OK


def cmd_logs(session: Session, args: argparse.Namespace) -> Exit:
    params: dict[str, Any] = {"stream": "stderr" if args.stderr else "stdout",
                              "follow": "true" if args.follow else "false"}
    if args.tail is not None:
        params["tail"] = args.tail
    session.copy_to_stdout(_path(args.deployment, "/logs"), params)
    return Exit.OK


def add_deployment_commands(verb: VerbAdder) -> None:
    deploy = verb("deploy", cmd_deploy, "deploy a module or image from a request file (YAML or "
                                        "JSON), e.g. job_specs/examples/service.yaml")
    deploy.add_argument("file", help="the POST /v1/deployments body; - reads it from stdin")
    deploy.add_argument("--idempotency-key", metavar="KEY",
                        help="retries with the same key deploy only once")
    add_wait_options(deploy, "it runs", 900.0)
    add_list_verb(verb, cmd_list, "deployments")
    verb("show", cmd_show, "one deployment: status, endpoints, tasks").add_argument(
        "deployment", help="the deployment's id (see `gateway list`)")
    update = verb("update", cmd_update, "change a deployment's hardware, environment or "
                                        "description (its task restarts; same id and endpoints)")
    update.add_argument("deployment", help="the deployment's id")
    add_change_options(update)
    update.add_argument("--disk", type=int, metavar="MIB", help="disk in MiB (default: unchanged)")
    add_wait_options(update, "it runs again", 900.0)
    restart = verb("restart", cmd_restart, "restart a deployment's task (same id, same endpoints)")
    restart.add_argument("deployment", help="the deployment's id")
    add_wait_options(restart, "it runs again", 900.0)
    verb("delete", cmd_delete, "stop and remove a deployment").add_argument(
        "deployment", help="the deployment's id")
    logs = verb("logs", cmd_logs, "output of a deployment's task")
    logs.add_argument("deployment", help="the deployment's id")
    logs.add_argument("--stderr", action="store_true", help="stderr instead of stdout")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing until it stops")
