"""``gateway deploy | list | show | delete | logs``: services (Marathon apps) from scripts."""

from __future__ import annotations

import argparse
import time
from typing import Any
from urllib.parse import quote

from gateway.cli.errors import Exit
from gateway.cli.output import fields, hardware, print_json, progress, table, when
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


def _wait_running(session: Session, deployment: dict[str, Any], *, timeout: float,
                  interval: float) -> Exit:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        current = session.json("GET", _path(deployment["id"]))
        state = (current["status"], current.get("status_reason") or "")
        if state != last:
            last = state
            progress(f"  {current['status']}" + (f": {state[1]}" if state[1] else ""))
        if current["status"] == "running":
            for name, url in (current.get("endpoints") or {}).items():
                progress(f"  {name}: {url}")
            return Exit.OK
        if current["status"] == "failed":
            return Exit.RUN_FAILED
        if time.monotonic() >= deadline:
            progress(f"gave up waiting after {timeout:g} s; it is {current['status']}.")
            return Exit.WAIT_TIMEOUT
        time.sleep(interval)


def cmd_deploy(session: Session, args: argparse.Namespace) -> Exit:
    body = load_request_file(args.file)
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    deployment = session.json("POST", "/v1/deployments", json=body, headers=headers)
    if args.output == "json":
        print_json(deployment)
    else:
        print(f"deployed {deployment['id']}: {deployment['status']}")
    if not args.wait:
        return Exit.OK
    return _wait_running(session, deployment, timeout=args.timeout, interval=args.interval)


def cmd_list(session: Session, args: argparse.Namespace) -> Exit:
    items = session.all_items("/v1/deployments", {"all": "true"} if args.all else {})
    if args.output == "json":
        print_json({"items": items, "next": None})
    else:
        print(table([[d["id"], d["status"], str(d.get("image")), hardware(d.get("hardware") or {}),
                      d.get("main_endpoint") or "-"] for d in items],
                    ["ID", "STATUS", "IMAGE", "HARDWARE", "ENDPOINT"]))
    return Exit.OK


def cmd_show(session: Session, args: argparse.Namespace) -> Exit:
    deployment = session.json("GET", _path(args.deployment))
    if args.output == "json":
        print_json(deployment)
    else:
        print(render_deployment(deployment))
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


def add_deployment_commands(sub: Any, common: argparse.ArgumentParser,
                            runner: Any) -> None:
    def verb(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=help_text)
        parser.set_defaults(func=runner, client_func=func)
        return parser

    deploy = verb("deploy", cmd_deploy, "deploy a module or image from a request file (YAML/JSON)")
    deploy.add_argument("file", help="the POST /v1/deployments body; - for stdin")
    deploy.add_argument("--idempotency-key", help="retries with the same key deploy only once")
    deploy.add_argument("--wait", action="store_true",
                        help="wait until it runs (exit 1 if it fails, 124 on timeout)")
    deploy.add_argument("--timeout", type=float, default=900.0, help="seconds --wait waits")
    deploy.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    verb("list", cmd_list, "your deployments").add_argument(
        "--all", action="store_true", help="administrators: everyone's deployments")
    verb("show", cmd_show, "one deployment: status, endpoints, tasks").add_argument("deployment")
    verb("delete", cmd_delete, "stop and remove a deployment").add_argument("deployment")
    logs = verb("logs", cmd_logs, "output of a deployment's task")
    logs.add_argument("deployment")
    logs.add_argument("--stderr", action="store_true", help="stderr instead of stdout")
    logs.add_argument("--tail", type=int, help="only the last N lines")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing until it stops")
