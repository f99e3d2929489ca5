"""The gateway with a local issuer and a recorded upstream: every call that is not to an issuer
is kept, so tests can assert that nothing a refused token asked for reached Marathon or Chronos."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from tests.auth.keys import AUDIENCE, ISSUER, OTHER_ISSUER, LocalIssuer
from tests.support.fake_marathon import MARATHON, MESOS, FakeCluster
from tests.support.paths import JOB_SPECS

CHRONOS = "http://chronos.test"


@dataclass
class Recorder:
    issuers: list[LocalIssuer]
    cluster: FakeCluster = field(default_factory=FakeCluster)
    upstream: list[httpx.Request] = field(default_factory=list)
    elsewhere: list[httpx.Request] = field(default_factory=list)  # neither issuer nor cluster
    # The read view follows Marathon's event stream on its own, whoever calls (and the fake
    # Marathon has none, so it never reads more): not a call any request made.
    background: list[httpx.Request] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        for issuer in self.issuers:
            if request.url.host == issuer.host:
                return await issuer.handle(request)
        url = str(request.url)
        if url.startswith(MARATHON) and request.url.path == "/v2/events":
            self.background.append(request)
            return httpx.Response(404, json={"message": "no event stream here"})
        if url.startswith((MARATHON, MESOS, CHRONOS)):
            self.upstream.append(request)
            if url.startswith(CHRONOS):
                return httpx.Response(200, json=[])
            return await self.cluster.handle(request)
        self.elsewhere.append(request)
        return httpx.Response(404)


@dataclass
class Gateway:
    client: TestClient
    issuer: LocalIssuer
    other: LocalIssuer
    recorder: Recorder

    def get(self, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.get(path, headers=headers, **kwargs)

    def request(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def me(self, token: str, **kwargs: Any) -> httpx.Response:
        return self.get("/v1/me", token, **kwargs)


def settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "oidc_issuers": [ISSUER, OTHER_ISSUER], "oidc_audience": AUDIENCE,
        "required_groups": ["deep"], "admin_groups": ["deep/admins"],
        "marathon_url": MARATHON, "mesos_url": MESOS, "chronos_url": CHRONOS,
        "marathon_user": "gateway", "marathon_password": "marathon-secret",
        "lb_host": "lb.test", "job_specs_dir": JOB_SPECS}
    values.update(changes)
    return Settings(**values)


def start_gateway(**changes: Any) -> Iterator[Gateway]:
    issuer, other = LocalIssuer(), LocalIssuer(OTHER_ISSUER, label="egi")
    recorder = Recorder([issuer, other])
    app = create_app(settings(**changes), transport=httpx.MockTransport(recorder.handle))
    with TestClient(app) as client:
        yield Gateway(client, issuer, other, recorder)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield from start_gateway()


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="gateway", error="invalid_token"'), challenge
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"
