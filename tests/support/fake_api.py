"""The gateway app in front of a scripted upstream (``FakeCluster`` or ``FakeChronos``).

One place builds it: the dev issuer answers behind the same mock transport as the fake schedulers,
so bearer validation is real while every scheduler answer is scripted. Used in-process through
``TestClient`` (``fake_api``) or over real HTTP for the CLI (``serve_fake_api``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from gateway.serving import EmbeddedServer
from tests.support.asgi_handler import asgi_handler
from tests.support.paths import JOB_SPECS

ISSUER = "https://issuer.test/"


class Scripted(Protocol):
    """What the fakes share: a mock transport, and a hook for calls that are not theirs."""

    other: Any

    def transport(self) -> httpx.MockTransport: ...


def app_over(upstream: Scripted, **settings: Any) -> tuple[FastAPI, DevIssuer]:
    """The app with ``upstream`` as every scheduler and the dev issuer; and that issuer."""
    issuer = DevIssuer(ISSUER)
    upstream.other = asgi_handler(issuer.asgi_app())
    conf = Settings(**{"oidc_issuers": [ISSUER], "required_groups": [DEMO_GROUP],
                       "admin_groups": [ADMIN_GROUP], "job_specs_dir": JOB_SPECS, **settings})
    return create_app(conf, transport=upstream.transport()), issuer


@dataclass
class FakeApi:
    client: TestClient
    tokens: dict[str, str]  # the demo users' (alice, bob, admin)
    issuer: DevIssuer

    def call(self, method: str, path: str, user: str = "alice", **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


def error_fields(response: httpx.Response) -> set[str]:
    """The fields a validation problem names."""
    return {error["field"] for error in response.json()["errors"]}


@contextmanager
def fake_api(upstream: Scripted, **settings: Any) -> Iterator[FakeApi]:
    app, issuer = app_over(upstream, **settings)
    with TestClient(app) as client:
        yield FakeApi(client, issuer.demo_tokens(), issuer)


@asynccontextmanager
async def serve_fake_api(upstream: Scripted, **settings: Any) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The same app on a loopback port: its URL and the users' tokens."""
    app, issuer = app_over(upstream, **settings)
    server = EmbeddedServer(app, "127.0.0.1")
    await server.start()
    try:
        yield server.url, issuer.demo_tokens()
    finally:
        await server.stop()
