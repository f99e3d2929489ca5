"""The gateway in a TestClient in front of a scripted Marathon and Mesos (``fake_marathon``), with
demo users' tokens from a development issuer: for the deployment routes' tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.fake_api import FakeApi, fake_api
from tests.support.fake_marathon import MARATHON, MESOS, FakeCluster

CPU_BODY = {"module": "image-classification-tf", "hardware": {"cpus": 1, "memory": 2048}}


@dataclass
class Harness(FakeApi):
    cluster: FakeCluster

    def deploy(self, user: str = "alice", body: dict[str, Any] | None = None,
               **kwargs: Any) -> httpx.Response:
        return self.call("POST", "/v1/deployments", user, json=body or CPU_BODY, **kwargs)


def harness_for(**settings: Any) -> Iterator[Harness]:
    cluster = FakeCluster()
    with fake_api(cluster, marathon_url=MARATHON, mesos_url=MESOS, chronos_url="",
                  lb_host="lb.example.org", **settings) as api:
        yield Harness(api.client, api.tokens, api.issuer, cluster)


configured = contextmanager(harness_for)  # a harness with other settings, inside a test
