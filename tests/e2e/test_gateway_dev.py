"""`gateway dev` is the embedded default: one command, no outside services, Ctrl-C stops it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPO
from tests.support.ports import free_port


@contextmanager
def _gateway_dev(tmp_path: Path, *options: str, cwd: Path = REPO) -> Iterator[tuple[dict, list[str]]]:
    """``gateway dev`` in a subprocess: its info file, then (after Ctrl-C) its output lines."""
    info_file = tmp_path / "dev-info.json"
    info_file.unlink(missing_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "dev", "--port", str(port), "--info-file", str(info_file),
         *options], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert info_file.exists(), process.stdout.read() if process.poll() is not None else "timeout"
        info = json.loads(info_file.read_text())
        assert info["gateway_url"] == f"http://127.0.0.1:{port}"
        yield info, lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            pytest.fail(f"gateway dev did not stop on Ctrl-C:\n{output}")
        lines.extend(output.splitlines())
        assert process.returncode == 0, output


@pytest.mark.slow
def test_gateway_dev_prints_urls_and_tokens_serves_the_api_and_stops_on_ctrl_c(tmp_path):
    with _gateway_dev(tmp_path) as (info, output):
        assert set(info) >= {"gateway_url", "marathon_url", "chronos_url", "mesos_url", "tokens"}
        assert set(info["tokens"]) == {"alice", "bob", "admin"}
        assert oct((tmp_path / "dev-info.json").stat().st_mode & 0o777) == "0o600"

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
    text = "\n".join(output)
    assert "ALICE_TOKEN=" in text and "gateway dev stopped." in text
    assert f"web UI     {info['gateway_url']}/ui/" in text
    assert "Traceback" not in text


@pytest.mark.slow
def test_gateway_dev_elsewhere_with_a_chronos_without_gpus_refuses_gpu_jobs(tmp_path):
    gpu_job = {"name": "gpu", "module": "image-classification-tf", "command": "python train.py",
               "hardware": {"cpus": 1, "memory": 2048, "gpus": 1}}
    # Started outside the repository: the catalog comes with the package.
    with _gateway_dev(tmp_path, "--no-chronos-gpus", cwd=tmp_path) as (info, _):
        headers = {"Authorization": f"Bearer {info['tokens']['alice']}"}
        refused = httpx.post(f"{info['gateway_url']}/v1/jobs", json=gpu_job, headers=headers,
                             timeout=10)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "hardware.gpus"
    with _gateway_dev(tmp_path) as (info, _):
        headers = {"Authorization": f"Bearer {info['tokens']['alice']}"}
        accepted = httpx.post(f"{info['gateway_url']}/v1/jobs", params={"dry_run": "true"},
                              json=gpu_job, headers=headers, timeout=10)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["gpus"] == 1


@pytest.mark.slow
def test_gateway_dev_reports_endpoints_that_answer_and_close_with_the_deployment(tmp_path):
    with _gateway_dev(tmp_path) as (info, _):
        headers = {"Authorization": f"Bearer {info['tokens']['alice']}"}
        gateway = httpx.Client(base_url=info["gateway_url"], headers=headers, timeout=10)
        created = gateway.post("/v1/deployments", json={
            "module": "image-classification-tf", "hardware": {"cpus": 1, "memory": 2048}})
        assert created.status_code == 202, created.text
        path = f"/v1/deployments/{created.json()['id']}"
        deadline = time.monotonic() + 60
        body = gateway.get(path).json()
        while body["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            body = gateway.get(path).json()
        assert body["status"] == "running", body
        endpoint = body["main_endpoint"]
        answer = None
        while answer is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(endpoint + "/v2/models", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, endpoint
        assert answer.json()["path"] == "/v2/models"
        assert gateway.delete(path).status_code == 204
        while time.monotonic() < deadline:
            try:
                httpx.get(endpoint, timeout=5)
            except httpx.TransportError:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"{endpoint} still answers after the deployment was deleted")
