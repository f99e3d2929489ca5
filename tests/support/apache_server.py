"""A real Apache 2.4 on loopback, started from the deploy/apache template under its own ServerRoot.

The configuration is tests/support/apache.py's (Debian's modules, the rendered virtual host);
this starts ``apache2 -DFOREGROUND`` with it, waits for the HTTPS port, and stops it by its pid.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.apache import render, server_config
from tests.support.processes import stop_process

APACHE2 = Path("/usr/sbin/apache2")


class ApacheServer:
    def __init__(self, root: Path, values: Mapping[str, str]) -> None:
        self.root = root
        self.values = dict(values)
        self.https_port = int(values["HTTPS_PORT"])
        self.url = f"https://127.0.0.1:{self.https_port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def error_log(self) -> str:
        logs = [self.root / "error.log", Path(self.values["APACHE_LOG_DIR"]) / "gateway_error.log"]
        return "\n".join(p.read_text(errors="replace") for p in logs if p.exists())

    def start(self) -> None:
        if not APACHE2.exists():
            pytest.fail("apache2 is missing: make test installs apache2 and "
                        "libapache2-mod-auth-openidc")
        (self.root / "gateway.d").mkdir(exist_ok=True)
        site = self.root / "gateway-site.conf"
        site.write_text(render(self.values))
        conf = self.root / "httpd.conf"
        conf.write_text(server_config(self.root, site, [int(self.values["HTTP_PORT"]),
                                                        self.https_port]))
        self._process = subprocess.Popen(
            [str(APACHE2), "-f", str(conf), "-d", str(self.root), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL, stderr=(self.root / "stderr.log").open("wb"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail("apache2 stopped at start:\n" + (self.root / "stderr.log").read_text()
                            + self.error_log)
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("apache2 did not listen within 30 s:\n" + self.error_log)

    def stop(self) -> None:
        if self._process is None:
            return
        stop_process(self._process, timeout=15)  # SIGTERM: Apache's "stop now"
        self._process = None
