"""`gateway serve` as operators run it: JSON lines on stderr, request ids, a clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from gateway.serving import bind_socket
from tests.support.paths import REPO

pytestmark = pytest.mark.slow


def test_serve_logs_json_lines_with_request_ids_and_stops_cleanly_on_sigterm():
    probe = bind_socket("127.0.0.1")
    port = probe.getsockname()[1]
    probe.close()
    env = {**os.environ, "GATEWAY_OIDC_ISSUERS": "https://iam.example.org/",
           "GATEWAY_MARATHON_URL": "http://127.0.0.1:9", "GATEWAY_CHRONOS_URL": "",
           "GATEWAY_MESOS_URL": "http://127.0.0.1:9", "GATEWAY_JOB_SPECS_DIR": str(REPO / "job_specs")}
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz",
                                     headers={"X-Request-Id": "probe-0001-abcd"}, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "probe-0001-abcd"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "gateway.access"]
    assert [(a["path"], a["status"], a["request_id"]) for a in access] == [
        ("/readyz", 200, "probe-0001-abcd")]
    assert any(line["message"] == "Application shutdown complete." for line in lines)
    assert process.returncode in (0, -signal.SIGTERM)
