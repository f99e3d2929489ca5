"""``gateway me``: who the token says you are, your groups, and your quota limits and use."""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.errors import Exit
from gateway.cli.output import fields, print_object, table
from gateway.cli.parsing import VerbAdder
from gateway.cli.session import Session

_RESOURCES = (("gpus", "GPUs"), ("cpus", "CPUs"), ("memory", "memory (MiB)"),
              ("deployments", "deployments"), ("jobs", "jobs"))


def render_me(me: dict[str, Any]) -> str:
    who = me.get("username") or me.get("name") or me["subject"]
    text = fields([("user", who + (f" <{me['email']}>" if me.get("email") else "")),
                   ("subject", me["subject"]), ("issuer", me["issuer"]), ("owner", me["owner"]),
                   ("groups", ", ".join(me.get("groups") or []) or "-"),
                   ("admin", "yes" if me.get("admin") else "no")])
    quota = me.get("quota") or {}
    limits, used = quota.get("limits") or {}, quota.get("used")
    rows = [[label, "?" if used is None else f"{used.get(key, 0):g}",
             "no limit" if limits.get(key) is None else f"{limits[key]:g}"]
            for key, label in _RESOURCES]
    text += "\n\n" + table(rows, ["QUOTA", "USED", "LIMIT"])
    if quota.get("detail"):
        text += f"\n(use unknown now: {quota['detail']})"
    return text


def cmd_me(session: Session, args: argparse.Namespace) -> Exit:
    me = session.json("GET", "/v1/me")
    print_object(args.output, me, render_me)
    return Exit.OK


def add_me_command(verb: VerbAdder) -> None:
    verb("me", cmd_me, "who the gateway thinks you are: groups, admin or not, quota limits and use")
