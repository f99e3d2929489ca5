"""Marathon path ids (state/PathId.scala): normalisation and the segment rules."""

from __future__ import annotations

import re

SEGMENT_PATTERN = (
    r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*"
    r"([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$"
)
_SEGMENT = re.compile(SEGMENT_PATTERN)
RESERVED = ("restart", "tasks", "versions")


def canonical(raw: str, base: str = "/") -> str:
    """Absolute form of ``raw``: relative ids hang off ``base``; ``.``/``..`` are resolved."""
    parts = [] if raw.startswith("/") else [p for p in base.split("/") if p]
    for part in raw.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def id_violations(raw: str) -> list[str]:
    messages: list[str] = []
    segments = [s for s in raw.split("/") if s]
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            messages.append(f"must fully match regular expression '{SEGMENT_PATTERN}'")
            break
    if not segments or canonical(raw) == "/":
        messages.append("Path must contain at least one path element")
    elif segments[-1] in RESERVED:
        messages.append(
            "must not end with any of the following reserved keywords: " + ", ".join(RESERVED)
        )
    return messages


def task_prefix(app_id: str) -> str:
    """``/ml/api`` -> ``ml_api``: how instance and task ids start."""
    return app_id.strip("/").replace("/", "_")
