"""A whole life cycle through `gateway dev`'s stack writes no password or token to any log line,
and leaves one audit line per change: who, what, the upstream id, the result."""

from __future__ import annotations

import base64
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.devstack import DevStack
from gateway.identity import owner_key
from gateway.log_setup import json_formatter
from gateway.request_context import RequestIdLogFilter
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import Stack, fast_health_checks

pytestmark = pytest.mark.slow
SCHEDULER_USER, SCHEDULER_PASSWORD = "gateway", "scheduler-Pa55word-9f2c"
RCLONE_PASSWORD = "nextcloud-app-Pa55word-1b7e"
JUPYTER_PASSWORD = "notebook-Pa55word-77d0"
STORAGE = {"rclone_url": "https://nc.example.org/remote.php/webdav/", "rclone_vendor": "nextcloud",
           "rclone_user": "DEEP-IAM-0123", "rclone_password": RCLONE_PASSWORD}


class Lines(logging.Handler):
    """Every record of the process, formatted as `gateway serve` writes it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(json_formatter())
        self.addFilter(RequestIdLogFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Lines]:
    """Every logger at DEBUG, whatever an earlier test in this process set (configure_logging
    quiets httpx and kazoo, for one): the libraries' own lines must keep secrets too."""
    root, handler = logging.getLogger(), Lines()
    loggers = [root, *(logging.getLogger(name) for name in logging.root.manager.loggerDict)]
    levels = {logger: logger.level for logger in loggers}
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)


def _stack(tmp: Path) -> Iterator[Stack]:
    sim = SimConfig(agents=2, agent_gpus=1, credentials=(SCHEDULER_USER, SCHEDULER_PASSWORD),
                    time_scale=60.0)
    settings = {"marathon_user": SCHEDULER_USER, "marathon_password": SCHEDULER_PASSWORD,
                "chronos_user": SCHEDULER_USER, "chronos_password": SCHEDULER_PASSWORD}
    with running(DevStack(sim_config=sim, job_specs_dir=fast_health_checks(tmp),
                          settings=settings)) as info:
        with httpx.Client(base_url=info.gateway_url, timeout=15) as gateway, \
                httpx.Client(base_url=info.marathon_url, timeout=15,
                             auth=(SCHEDULER_USER, SCHEDULER_PASSWORD)) as marathon:
            yield Stack(info, gateway, marathon)


def test_a_full_life_cycle_logs_no_secret_and_audits_every_change(tmp_path, captured):
    for stack in _stack(tmp_path):
        alice = stack.as_user("alice")
        call = stack.gateway.request

        created = call("POST", "/v1/deployments", headers=alice, json={
            "module": "image-classification-tf", "service": "jupyter",
            "hardware": {"cpus": 1, "memory": 2048, "disk": 1024, "gpus": 0},
            "storage": STORAGE, "jupyter_password": JUPYTER_PASSWORD})
        assert created.status_code == 202, created.text
        deployment = created.json()["id"]
        assert stack.wait_for(deployment, "running")["status"] == "running"
        assert call("GET", f"/v1/deployments/{deployment}/logs", headers=alice).status_code == 200
        assert call("POST", f"/v1/deployments/{deployment}/restart", headers=alice).status_code == 202
        assert stack.delete(deployment).status_code == 204

        job = call("POST", "/v1/jobs", headers=alice, json={
            "name": "nightly", "image": "deephdc/deep-oc-generic-dev:cpu",
            "command": "python train.py", "hardware": {"cpus": 0.5, "memory": 512, "gpus": 0},
            "schedule": "R/2030-01-01T02:00:00Z/P1D", "storage": STORAGE})
        assert job.status_code == 201, job.text
        job_id = job.json()["id"]
        assert call("POST", f"/v1/jobs/{job_id}/run", headers=alice).status_code == 202
        time.sleep(0.5)
        assert call("POST", f"/v1/jobs/{job_id}/kill", headers=alice).status_code == 202
        assert call("DELETE", f"/v1/jobs/{job_id}", headers=alice).status_code == 204

        # Refusals are logged too, and must not quote what they refuse.
        assert call("GET", "/v1/me", headers={"Authorization": "Bearer " + stack.info.tokens[
            "bob"][:-4] + "AAAA"}).status_code == 401
        # Sent with urllib: this test's own httpx client would log the URL it asks for.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                f"{stack.info.gateway_url}/v1/me?access_token={stack.info.tokens['admin']}")
        assert refused.value.code == 400
        tokens = dict(stack.info.tokens)
        issuer = stack.info.issuer_url

    basic = base64.b64encode(f"{SCHEDULER_USER}:{SCHEDULER_PASSWORD}".encode()).decode()
    secrets = [RCLONE_PASSWORD, JUPYTER_PASSWORD, SCHEDULER_PASSWORD, basic,
               *(part for token in tokens.values() for part in token.split(".")[1:])]
    records = [json.loads(line) for line in captured.lines]
    # The check below means something only if the chatty libraries were heard too.
    assert {"httpx", "gateway.access", "gateway.audit"} <= {r["logger"] for r in records}
    for line in captured.lines:
        for secret in secrets:
            assert secret not in line, f"a secret in the log: {line[:300]}"

    audit = [r for r in records if r.get("audit")]
    assert [(r["action"], r["result"]) for r in audit] == [
        ("deployment.create", "ok"), ("deployment.restart", "ok"), ("deployment.delete", "ok"),
        ("job.create", "ok"), ("job.run", "ok"), ("job.kill", "ok"), ("job.delete", "ok")]
    owner = owner_key(issuer, "alice-dev-subject")
    assert all(r["owner"] == owner and r["upstream_id"] and r["request_id"] for r in audit)
    assert audit[0]["upstream_id"] == f"/gateway/{deployment}"
    assert audit[3]["upstream_id"].endswith("-nightly")
