"""Helpers of the read-path bench: child processes on loopback, wrk, resident memory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from tests.support.processes import stop_process


class Child:
    """A process whose output goes to a file in ``logs``; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name: str, argv: list[str], logs: Path, *,
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})}, cwd=cwd)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)
        self._out.close()

    def first_json(self, timeout: float = 60.0) -> dict[str, object]:
        """The first JSON document the process prints (the sim prints its URLs)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text()
            start = text.find("{")
            if start >= 0:
                try:
                    value, _ = json.JSONDecoder().raw_decode(text[start:])
                    return dict(value)
                except ValueError:
                    pass
            self._check_alive()
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} printed no JSON; see {self.log}")

    def wait_http(self, url: str, timeout: float = 60.0, expect: int | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status = httpx.get(url, timeout=2).status_code
                if expect is None or status == expect:
                    return
            except httpx.HTTPError:
                pass
            self._check_alive()
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} does not answer {url}; see {self.log}")

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited; see {self.log}:\n{self.log.read_text()[-2000:]}")


def python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str
    # CPU time the server (with its child processes) spent per request, in microseconds: what
    # a request costs, whatever else the shared machine was doing meanwhile.
    cpu_us: float = float("nan")


def wrk(url: str, *, token: str | None, duration: float, connections: int,
        extra_headers: tuple[str, ...] = (), runs: int = 1, server: int | None = None) -> Load:
    """One thread, ``connections`` connections, the latency distribution; the best of ``runs``
    (on a shared machine the best run is the one least disturbed by others), with the CPU per
    request of the ``server`` process tree (the least of the runs)."""
    return _best([_wrk_once(url, token, duration, connections, extra_headers, server)
                  for _ in range(runs)])


def wrk_side_by_side(targets: dict[str, tuple[str, int, tuple[str, ...]]], *,
                     token: str | None, duration: float, connections: int,
                     runs: int = 1) -> dict[str, Load]:
    """``wrk`` for each target (url, server pid, extra headers), taking turns run by run, so a
    disturbance of the shared machine falls on all of them alike instead of on whichever ran
    then; the best run of each, with its least CPU per request."""
    loads: dict[str, list[Load]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (url, server, extra_headers) in targets.items():
            loads[name].append(_wrk_once(url, token, duration, connections, extra_headers,
                                         server))
    return {name: _best(each) for name, each in loads.items()}


def _best(loads: list[Load]) -> Load:
    best = max(loads, key=lambda load: load.requests_per_second)
    return replace(best, cpu_us=min(load.cpu_us for load in loads))


def _wrk_once(url: str, token: str | None, duration: float, connections: int,
              extra_headers: tuple[str, ...], server: int | None) -> Load:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency"]
    for header in ((f"Authorization: Bearer {token}",) if token else ()) + extra_headers:
        argv += ["-H", header]
    cpu_before = cpu_seconds(server) if server else 0.0
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server) - cpu_before if server else float("nan")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = " ".join(line.strip() for line in out.splitlines()
                      if "Non-2xx" in line or "Socket errors" in line)
    return Load(rate, _percentile(out, "50%"), _percentile(out, "99%"), errors,
                cpu / max(requests, 1) * 1e6)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its descendants (Apache's workers), so far."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    children: dict[int, list[int]] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        process = todo.pop()
        total += stats.get(process, (0, 0.0))[1]
        todo += children.get(process, [])
    return total


def _percentile(out: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
