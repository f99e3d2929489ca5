"""A dev stack seen from a batch-job test: submit, read and wait for jobs over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

CPU = {"cpus": 0.5, "memory": 512, "disk": 1024, "gpus": 0}


@dataclass
class JobStack:
    info: Any
    gateway: httpx.Client
    chronos: httpx.Client

    def as_user(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.info.tokens[user]}"}

    def submit(self, user: str = "alice", **body: Any) -> httpx.Response:
        payload = {"image": "deephdc/deep-oc-generic-dev:cpu", "command": "python job.py",
                   "hardware": CPU, **body}
        return self.gateway.post("/v1/jobs", json=payload, headers=self.as_user(user))

    def call(self, method: str, path: str, user: str = "alice", **kwargs: Any) -> httpx.Response:
        return self.gateway.request(method, path, headers=self.as_user(user), **kwargs)

    def job(self, job_id: str, user: str = "alice") -> dict[str, Any]:
        response = self.call("GET", f"/v1/jobs/{job_id}", user)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait(self, job_id: str, done: Callable[[dict[str, Any]], bool],
             timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.job(job_id)
            if done(body) or time.monotonic() > deadline:
                return body
            time.sleep(0.1)

    def chronos_names(self) -> list[str]:
        return [job["name"] for job in self.chronos.get("/v1/scheduler/jobs").json()]
