"""Helpers of the read-path bench: child processes on loopback, wrk, resident memory."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
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


def wrk(url: str, *, token: str | None, duration: float, connections: int,
        extra_headers: tuple[str, ...] = (), runs: int = 1) -> Load:
    """One thread, ``connections`` connections, the latency distribution; the best of ``runs``
    (on a shared machine the best run is the one least disturbed by others)."""
    loads = [_wrk_once(url, token, duration, connections, extra_headers) for _ in range(runs)]
    return max(loads, key=lambda load: load.requests_per_second)


def _wrk_once(url: str, token: str | None, duration: float, connections: int,
              extra_headers: tuple[str, ...]) -> Load:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency"]
    for header in ((f"Authorization: Bearer {token}",) if token else ()) + extra_headers:
        argv += ["-H", header]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = " ".join(line.strip() for line in out.splitlines()
                      if "Non-2xx" in line or "Socket errors" in line)
    return Load(rate, _percentile(out, "50%"), _percentile(out, "99%"), errors)


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
