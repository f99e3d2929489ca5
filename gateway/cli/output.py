"""What the client verbs print: aligned tables and key/value blocks for people, JSON for scripts.

Data goes to stdout; progress and errors go to stderr, so ``--output json | jq`` stays clean.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO


def print_json(data: Any, out: TextIO | None = None) -> None:
    print(json.dumps(data, indent=2, sort_keys=False), file=out or sys.stdout)


def print_object(output: str, data: dict[str, Any],
                 render: Callable[[dict[str, Any]], str]) -> None:
    """One object as the API gave it for ``--output json``, else ``render``'s text (only then
    rendered, so JSON output never depends on the fields the text reads)."""
    if output == "json":
        print_json(data)
    else:
        print(render(data))


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in [headers, *rows]]
    return "\n".join(lines)


def fields(pairs: Sequence[tuple[str, str]]) -> str:
    width = max((len(key) for key, _ in pairs), default=0)
    return "\n".join(f"{key + ':':<{width + 1}} {value}" for key, value in pairs)


def when(value: str | None) -> str:
    """An ISO time as a short UTC stamp ("-" when absent)."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def hardware(spec: dict[str, Any]) -> str:
    gpus = f", {spec.get('gpus')} GPU" if spec.get("gpus") else ""
    return f"{spec.get('cpus')} CPU, {spec.get('memory')} MiB{gpus}"


def owner_cell(shown: bool, item: dict[str, Any] | None = None) -> list[str]:
    """The OWNER column of an --all listing: its header without ``item``, else the cell: the
    owner's name, or their key for work made before the gateway recorded names."""
    if not shown:
        return []
    return ["OWNER"] if item is None else [str(item.get("owner_name") or item.get("owner") or "-")]

