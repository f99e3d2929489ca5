"""The UI stack's cluster published a second time, as a site under a path prefix: its own
Apache (deploy/apache/ with PUBLIC_PREFIX), its own provider with short-lived tokens, and its own
pair of replicas, which note every bearer token Apache hands them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from jose import JWTError, jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.config import Settings
from gateway.serving import EmbeddedServer
from tests.e2e.ui_stack import CLIENT_ID, USERS, UiStack, apache_site, replica_settings, signin_url
from tests.support.apache_server import ApacheServer
from tests.support.background import running
from tests.support.certificates import ServerCertificate
from tests.support.oidc_provider import Provider
from tests.support.ports import free_port


class BearerLog:
    """A replica's app, noting the claims of every bearer token that reaches it: what the
    gateway saw, for tests that follow the session's token (signature unchecked: the gateway
    does that)."""

    def __init__(self, app: ASGIApp, seen: list[dict[str, Any]]) -> None:
        self._app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"authorization" and value.startswith(b"Bearer "):
                    with suppress(JWTError):  # not a JWT: the gateway refuses it anyway
                        self.seen.append(jwt.get_unverified_claims(value[7:].decode()))
        await self._app(scope, receive, send)


class Replicas:
    """Two more gateway replicas on the stack's cluster, with settings of their own."""

    def __init__(self, settings: Settings) -> None:
        self.bearers: list[dict[str, Any]] = []
        self._servers = [EmbeddedServer(BearerLog(create_app(settings), self.bearers),
                                        "127.0.0.1") for _ in range(2)]

    async def __aenter__(self) -> list[str]:
        for server in self._servers:
            await server.start()
        return [server.url for server in self._servers]

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        for server in self._servers:
            await server.stop()


@dataclass
class PrefixedSite:
    apache: ApacheServer
    provider: Provider
    prefix: str
    signin_url: str
    tls: ServerCertificate
    bearers: list[dict[str, Any]]  # claims of the tokens the replicas got, oldest first

    @property
    def url(self) -> str:
        return self.apache.url + self.prefix


@contextmanager
def prefixed_site(stack: UiStack, root: Path, prefix: str,
                  token_max_age: int) -> Iterator[PrefixedSite]:
    """The same cluster published by another Apache under ``prefix``, with its own provider
    whose tokens live ``token_max_age`` seconds, and its own pair of replicas (which take the
    prefix from Apache's X-Forwarded-Prefix, and allow no clock skew)."""
    provider = Provider(list(USERS.values()), token_max_age=token_max_age)
    provider.start()
    try:
        https_port = free_port()
        settings = replica_settings(
            stack.info, stack.job_specs,
            oidc_issuers=[provider.url], oidc_audience=CLIENT_ID, oidc_leeway=0,
            ui_csrf_secret="one-key-for-both-replicas",
            ui_signin_url=signin_url(f"127.0.0.1:{https_port}", prefix))
        replicas = Replicas(settings)
        with running(replicas) as urls:
            apache = apache_site(root, stack.tls, provider, stack.info, urls,
                                 https_port=https_port, prefix=prefix)
            apache.start()
            try:
                yield PrefixedSite(apache, provider, prefix, settings.ui_signin_url, stack.tls,
                                   replicas.bearers)
            finally:
                apache.stop()
    finally:
        provider.stop()
