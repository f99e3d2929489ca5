"""The dev stack (simulated cluster + dev issuer + gateway) driven from sync tests over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateway.devstack import DevInfo
from tests.support.paths import JOB_SPECS
from tests.support.waiting import eventually_sync

JOB_CPU = {"cpus": 0.5, "memory": 512, "disk": 1024, "gpus": 0}  # what a job asks by default


@dataclass
class _OverHttp:
    info: DevInfo
    gateway: httpx.Client

    def as_user(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.info.tokens[user]}"}

    def call(self, method: str, path: str, user: str = "alice", **kwargs: Any) -> httpx.Response:
        return self.gateway.request(method, path, headers=self.as_user(user), **kwargs)


@dataclass
class Stack(_OverHttp):
    """Deployments, with Marathon at hand to see what the gateway sent."""

    marathon: httpx.Client

    def marathon_app_ids(self) -> list[str]:
        return [app["id"] for app in self.marathon.get("/v2/apps").json()["apps"]]

    def deploy(self, user: str = "alice", headers: dict[str, str] | None = None,
               **body: Any) -> httpx.Response:
        payload = {"image": "deephdc/deep-oc-image-classification-tf:cpu",
                   "hardware": {"cpus": 1, "memory": 2048, "disk": 1024, "gpus": 0}, **body}
        return self.gateway.post("/v1/deployments", json=payload,
                                 headers={**self.as_user(user), **(headers or {})})

    def get(self, deployment_id: str, user: str = "alice") -> httpx.Response:
        return self.gateway.get(f"/v1/deployments/{deployment_id}", headers=self.as_user(user))

    def delete(self, deployment_id: str, user: str = "alice") -> httpx.Response:
        return self.gateway.delete(f"/v1/deployments/{deployment_id}", headers=self.as_user(user))

    def wait_for(self, deployment_id: str, status: str, user: str = "alice",
                 timeout: float = 20, reason: str = "") -> dict[str, Any]:
        """Poll until the deployment has ``status`` (and ``reason`` in its reason) or time is up."""
        return self.wait_until(
            deployment_id,
            lambda body: body.get("status") == status and reason in body.get("status_reason", ""),
            user, timeout)

    def wait_until(self, deployment_id: str, done: Callable[[dict[str, Any]], bool],
                   user: str = "alice", timeout: float = 20) -> dict[str, Any]:
        """Poll the deployment until ``done(body)``; that body (AssertionError when time is up)."""
        body: dict[str, Any] = eventually_sync(lambda: self.get(deployment_id, user).json(),
                                               timeout, interval=0.2, done=done)
        return body


@dataclass
class JobStack(_OverHttp):
    """Batch jobs, with Chronos at hand to see what the gateway sent."""

    chronos: httpx.Client

    def submit(self, user: str = "alice", **body: Any) -> httpx.Response:
        payload = {"image": "deephdc/deep-oc-generic-dev:cpu", "command": "python job.py",
                   "hardware": JOB_CPU, **body}
        return self.gateway.post("/v1/jobs", json=payload, headers=self.as_user(user))

    def job(self, job_id: str, user: str = "alice") -> dict[str, Any]:
        response = self.call("GET", f"/v1/jobs/{job_id}", user)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait(self, job_id: str, done: Callable[[dict[str, Any]], bool],
             timeout: float = 30) -> dict[str, Any]:
        """Poll the job until ``done(body)``; that body (AssertionError when time is up)."""
        body: dict[str, Any] = eventually_sync(lambda: self.job(job_id), timeout, interval=0.1,
                                               done=done)
        return body

    def chronos_names(self) -> list[str]:
        return [job["name"] for job in self.chronos.get("/v1/scheduler/jobs").json()]


def fast_health_checks(tmp_path: Path) -> Path:
    """The real job_specs with health checks every second, so tests need not wait 15 s."""
    job_specs = tmp_path / "job_specs"
    shutil.copytree(JOB_SPECS, job_specs)
    services = yaml.safe_load((job_specs / "services.yaml").read_text())
    services["app"]["health_check"].update(
        {"gracePeriodSeconds": 30, "intervalSeconds": 1, "delaySeconds": 0, "timeoutSeconds": 1})
    services["app"].update({"backoffSeconds": 1, "backoffFactor": 1.0})
    (job_specs / "services.yaml").write_text(yaml.safe_dump(services))
    return job_specs
