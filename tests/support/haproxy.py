"""A real HAProxy configured from Marathon's state the way marathon-lb does it (test support).

``marathon_lb_config`` follows marathon-lb's rules (reference/marathon.md §5) for what the tests
need: apps whose HAPROXY_GROUP includes the group, one frontend and backend per service port named
``<app id without the leading slash, / as _>_<servicePort>``, servers for the tasks marathon-lb
would route to (running, and alive when the app has health checks), and virtual hosts on the
shared HTTP frontend. ``HAProxy`` runs the Debian binary in the foreground on loopback.
"""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.processes import stop_process

EXCLUDED_TASK_STATES = {"TASK_STAGING", "TASK_STARTING", "TASK_KILLING", "TASK_FINISHED",
                        "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE",
                        "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}


@dataclass
class Published:
    frontends: dict[str, int] = field(default_factory=dict)  # name -> bind port
    servers: dict[str, list[str]] = field(default_factory=dict)  # backend -> "ip:port"
    vhosts: dict[str, str] = field(default_factory=dict)  # vhost -> backend
    text: str = ""


def _groups(labels: dict[str, str], index: int) -> set[str]:
    value = labels.get(f"HAPROXY_{index}_GROUP") or labels.get("HAPROXY_GROUP") or ""
    return {group.strip() for group in value.split(",") if group.strip()}


def _server_name(host: str, ip: str, port: int) -> str:
    raw = f"{ip}_{port}" if host == ip else f"{host}_{ip}_{port}"
    return re.sub(r"[^a-zA-Z0-9-]", "_", raw)


def _routable(app: dict[str, Any], task: dict[str, Any]) -> bool:
    if task.get("state") in EXCLUDED_TASK_STATES:
        return False
    if app.get("healthChecks"):
        return any(result.get("alive") for result in task.get("healthCheckResults") or [])
    return True


def marathon_lb_config(apps: list[dict[str, Any]], *, group: str = "external",
                       bind_address: str = "127.0.0.1", http_port: int | None = None) -> Published:
    published = Published()
    sections: list[str] = []
    for app in apps:
        labels = app.get("labels") or {}
        service_ports = [d.get("port") for d in app.get("portDefinitions") or []]
        for index, service_port in enumerate(service_ports):
            if not service_port or group not in _groups(labels, index):
                continue
            name = f"{app['id'][1:].replace('/', '_')}_{service_port}"
            vhost = labels.get(f"HAPROXY_{index}_VHOST", "").lower()
            mode = labels.get(f"HAPROXY_{index}_MODE") or ("http" if vhost else "tcp")
            servers = []
            for task in app.get("tasks") or []:
                ports = task.get("ports") or []
                if index >= len(ports) or not _routable(app, task):
                    continue
                ip = socket.gethostbyname(task["host"])
                servers.append((_server_name(task["host"], ip, ports[index]), ip, ports[index]))
            published.frontends[name] = service_port
            published.servers[name] = [f"{ip}:{port}" for _, ip, port in servers]
            if vhost:
                for host in vhost.split(","):
                    published.vhosts[host.strip()] = name
            server_lines = [
                f"  server {server} {ip}:{port} id "
                f"{int(hashlib.sha256(server.encode()).hexdigest(), 16) % 32767 + 1}"
                for server, ip, port in servers]
            sections.append("\n".join([
                f"frontend {name}", f"  bind {bind_address}:{service_port}", f"  mode {mode}",
                f"  use_backend {name}", "",
                f"backend {name}", "  balance roundrobin", f"  mode {mode}", *server_lines, ""]))
    if http_port is not None and published.vhosts:
        lines = ["frontend marathon_http_in", f"  bind {bind_address}:{http_port}", "  mode http"]
        for host, backend in sorted(published.vhosts.items()):
            acl = f"host_{re.sub(r'[^a-zA-Z0-9]', '_', host)}_{backend}"
            lines += [f"  acl {acl} hdr(host) -i {host}", f"  use_backend {backend} if {acl}"]
        sections.append("\n".join(lines) + "\n")
    head = ["global", "  maxconn 256", "", "defaults", "  timeout connect 5s",
            "  timeout client 30s", "  timeout server 30s", ""]
    published.text = "\n".join(head + sections)
    return published


class HAProxy:
    """``haproxy -db`` (foreground, no daemon) with a generated config, in a temporary folder."""

    def __init__(self, directory: Path, config: str) -> None:
        self.directory = directory
        self.config_path = directory / "haproxy.cfg"
        self.config_path.write_text(config)
        self._process: subprocess.Popen[bytes] | None = None

    def check(self) -> None:
        result = subprocess.run(["haproxy", "-c", "-f", str(self.config_path)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"haproxy refused the config:\n{result.stdout}{result.stderr}")

    def start(self, ports: list[int], timeout: float = 10.0) -> None:
        self.check()
        log = (self.directory / "haproxy.log").open("ab")
        self._process = subprocess.Popen(["haproxy", "-db", "-f", str(self.config_path)],
                                         stdout=log, stderr=subprocess.STDOUT, cwd=self.directory)
        deadline = time.monotonic() + timeout
        while not all(_listening(port) for port in ports):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"haproxy did not start; see {self.directory / 'haproxy.log'}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)

    def __enter__(self) -> HAProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False
