"""How a simulated task behaves, decided from its spec, env and labels.

Tests trigger failure modes with ``SIM_FAIL`` (env var, or a label of the same name; the env
wins). See simcluster/README.md for the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simcluster.mesos.model import TaskSpec

_SLEEP = re.compile(r"\bsleep\s+(\d+(?:\.\d+)?)")
_EXIT = re.compile(r"\bexit\s+(\d+)")


@dataclass(frozen=True)
class Behaviour:
    fail_launch: bool = False
    hang: bool = False
    listen: bool = True
    unhealthy_after: float | None = None  # simulated seconds after RUNNING; 0 = from the start
    exit_after: float | None = None  # service tasks: exit after this many simulated seconds
    duration: float = 1.0  # batch tasks
    exit_code: int = 0


def _number(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default  # a typo in a test knob must not wedge the task


def behaviour_of(spec: TaskSpec) -> Behaviour:
    raw = spec.env.get("SIM_FAIL") or spec.labels.get("SIM_FAIL") or ""
    mode, _, rest = raw.partition(":")
    params = [p for p in rest.split(":") if p]
    duration, exit_code = _batch_outcome(spec)
    if mode == "launch":
        return Behaviour(fail_launch=True)
    if mode == "hang":
        return Behaviour(hang=True)
    if mode == "no-listen":
        return Behaviour(listen=False, duration=duration, exit_code=exit_code)
    if mode == "unhealthy":
        after = _number(params[0] if params else None, 0.0)
        return Behaviour(unhealthy_after=after, duration=duration, exit_code=exit_code)
    if mode == "exit":
        code = int(_number(params[0] if params else None, 1))
        after = _number(params[1] if len(params) > 1 else None, 1.0)
        return Behaviour(exit_after=after, duration=after, exit_code=code)
    return Behaviour(duration=duration, exit_code=exit_code)


def _batch_outcome(spec: TaskSpec) -> tuple[float, int]:
    """Duration and exit code: SIM_DURATION / SIM_EXIT_CODE, else read from an obvious shell
    command (``sleep 5; exit 3``), else the spec's values."""
    duration = spec.duration
    exit_code = spec.exit_code
    command = " ".join((spec.command, *spec.args))
    if match := _SLEEP.search(command):
        duration = float(match.group(1))
    if match := _EXIT.search(command):
        exit_code = int(match.group(1))
    duration = _number(spec.env.get("SIM_DURATION"), duration)
    exit_code = int(_number(spec.env.get("SIM_EXIT_CODE"), exit_code))
    return duration, exit_code
