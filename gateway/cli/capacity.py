"""``gateway capacity``: what the cluster has free, by agent size, and what waits for room."""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.errors import Exit
from gateway.cli.output import fields, print_object, table
from gateway.cli.parsing import VerbAdder
from gateway.cli.session import Session

_RESOURCES = (("gpus", "GPUs"), ("cpus", "CPUs"), ("memory", "memory (MiB)"))


def _free_counts(counts: list[dict[str, Any]]) -> str:
    """"2 on 3, 0 on 1": how many agents of a size have each amount free."""
    return ", ".join(f"{c['amount']:g} on {c['agents']}" for c in counts) or "-"


def _waiting(count: int | None) -> str:
    return "unknown" if count is None else str(count)


def render_capacity(capacity: dict[str, Any]) -> str:
    text = table([[label, f"{capacity[key]['total']:g}", f"{capacity[key]['free']:g}"]
                  for key, label in _RESOURCES], ["RESOURCE", "TOTAL", "FREE"])
    groups = capacity.get("agents") or []
    if groups:
        text += "\n\n" + table(
            [[f"{g['gpus']:g} GPU, {g['cpus']:g} CPU, {g['memory']:g} MiB", str(g["count"]),
              *(_free_counts(g["free"].get(key) or []) for key, _ in _RESOURCES)]
             for g in groups],
            ["AGENT SIZE", "AGENTS", "GPUS FREE", "CPUS FREE", "MEMORY FREE (MiB)"])
        text += "\n(\"2 on 3\": 2 free on each of 3 agents)"
    waiting = capacity.get("waiting") or {}
    text += "\n\n" + fields([("waiting deployments", _waiting(waiting.get("deployments"))),
                             ("waiting jobs", _waiting(waiting.get("jobs")))])
    return text


def cmd_capacity(session: Session, args: argparse.Namespace) -> Exit:
    capacity = session.json("GET", "/v1/capacity")
    print_object(args.output, capacity, render_capacity)
    return Exit.OK


def add_capacity_command(verb: VerbAdder) -> None:
    verb("capacity", cmd_capacity, "the cluster's GPUs, CPUs and memory, total and free, by agent "
                                   "size, and how many deployments and jobs wait")
