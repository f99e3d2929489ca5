"""Reading a job or deployment request (YAML or JSON) from a file, or from stdin with ``-``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from gateway.cli.errors import ClientError, Exit


def load_request_file(path: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as exc:
        raise ClientError(Exit.USAGE, f"Cannot read {path}: {exc.strerror}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "it cannot be read"
        raise ClientError(Exit.USAGE, f"{path} is not valid YAML: {reason}{where}.") from None
    if not isinstance(data, dict):
        raise ClientError(Exit.USAGE, f"{path} must hold a mapping of fields (name, command, ...).")
    return data
