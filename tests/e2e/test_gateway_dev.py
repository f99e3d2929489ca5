"""`gateway dev` is the embedded default: one command, no outside services, Ctrl-C stops it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import httpx
import pytest

from gateway.serving import bind_socket
from tests.support.paths import REPO


def _free_port() -> int:
    sock = bind_socket("127.0.0.1")
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.slow
def test_gateway_dev_prints_urls_and_tokens_serves_the_api_and_stops_on_ctrl_c(tmp_path):
    info_file = tmp_path / "dev-info.json"
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "dev", "--port", str(port), "--info-file", str(info_file)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert info_file.exists(), process.stdout.read() if process.poll() is not None else "timeout"
        info = json.loads(info_file.read_text())
        assert set(info) >= {"gateway_url", "marathon_url", "chronos_url", "mesos_url", "tokens"}
        assert set(info["tokens"]) == {"alice", "bob", "admin"}
        assert info["gateway_url"] == f"http://127.0.0.1:{port}"
        assert oct(info_file.stat().st_mode & 0o777) == "0o600"

        headers = {"Authorization": f"Bearer {info['tokens']['alice']}"}
        modules = httpx.get(f"{info['gateway_url']}/v1/modules", headers=headers, timeout=10)
        assert modules.status_code == 200
        assert httpx.get(f"{info['marathon_url']}/ping", timeout=10).status_code == 200
        # The printed web UI address leads to the development login, which signs alice in.
        with httpx.Client(base_url=info["gateway_url"], timeout=10) as browser:
            assert browser.get("/ui/").headers["location"] == "/ui/dev-login"
            signed_in = browser.post("/ui/dev-login", data={"user": "alice"},
                                     follow_redirects=True)
            assert signed_in.status_code == 200 and "Alice Example" in signed_in.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            pytest.fail(f"gateway dev did not stop on Ctrl-C:\n{output}")
    assert process.returncode == 0, output
    assert "ALICE_TOKEN=" in output and "gateway dev stopped." in output
    assert f"web UI     http://127.0.0.1:{port}/ui/" in output
    assert "Traceback" not in output
