"""The whole web UI stack for browser tests: a real OpenID provider (oidc-provider-mock), the
simulated cluster, two gateway replicas, and Apache with mod_auth_openidc from deploy/apache/ in
front, with TLS from a test CA. Headless Chromium (Debian's, through Playwright) is the user.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from jose import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.config import Settings
from gateway.devstack import DevInfo, DevStack
from gateway.serving import EmbeddedServer
from simcluster import SimConfig
from tests.support.apache_server import ApacheServer, free_port
from tests.support.background import running
from tests.support.certificates import ServerCertificate, server_certificate
from tests.support.gateway_stack import fast_health_checks
from tests.support.oidc_provider import Provider

CLIENT_ID = "gateway-ui"
ADMIN_GROUP = "deep/admins"
USERS = {
    "alice": {"sub": "alice", "name": "Alice Example", "email": "alice@example.org",
              "groups": ["deep"]},
    "bob": {"sub": "bob", "name": "Bob Example", "email": "bob@example.org", "groups": ["deep"]},
    "admin": {"sub": "admin", "name": "Ada Admin", "email": "admin@example.org",
              "groups": ["deep", ADMIN_GROUP]},
}
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class UiStack:
    apache: ApacheServer
    provider: Provider
    info: DevInfo
    tls: ServerCertificate
    replicas: list[str]
    signin_url: str  # GATEWAY_UI_SIGNIN_URL
    job_specs: Path  # the catalog with fast health checks, for more replicas

    @property
    def url(self) -> str:
        return self.apache.url


class TwoGateways:
    """The dev stack's gateway plus a second replica with the same settings (and CSRF key)."""

    def __init__(self, settings: dict[str, Any], job_specs: Path) -> None:
        self._settings = settings
        self._job_specs = job_specs
        self._stack = DevStack(sim_config=SimConfig(agents=2, agent_gpus=1),
                               job_specs_dir=job_specs, settings=settings)
        self._second: EmbeddedServer | None = None

    async def __aenter__(self) -> tuple[DevInfo, list[str]]:
        info = await self._stack.__aenter__()
        settings = Settings(marathon_url=info.marathon_url, chronos_url=info.chronos_url,
                            mesos_url=info.mesos_url, lb_host="127.0.0.1",
                            required_groups=["deep"], admin_groups=[ADMIN_GROUP],
                            job_specs_dir=self._job_specs, **self._settings)
        self._second = EmbeddedServer(create_app(settings), "127.0.0.1")
        await self._second.start()
        return info, [info.gateway_url, self._second.url]

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._second is not None:
            await self._second.stop()
        await self._stack.__aexit__(exc_type, exc, tb)


def signin_url(public: str, prefix: str = "") -> str:
    """GATEWAY_UI_SIGNIN_URL for a site: mod_auth_openidc's logout, back to the site's /ui/."""
    return f"{prefix}/oidc/redirect_uri?logout=" + quote(f"https://{public}{prefix}/ui/", safe="")


def _apache(root: Path, tls: ServerCertificate, provider: Provider, info: DevInfo,
            replicas: list[str], *, https_port: int, prefix: str = "") -> ApacheServer:
    return ApacheServer(root, {
        "PUBLIC_HOST": f"127.0.0.1:{https_port}", "PUBLIC_PREFIX": prefix,
        "HTTP_PORT": str(free_port()), "HTTPS_PORT": str(https_port),
        "TLS_CERTIFICATE_FILE": str(tls.cert_file),
        "TLS_CERTIFICATE_KEY_FILE": str(tls.key_file), "APACHE_LOG_DIR": str(root),
        "OIDC_PROVIDER_METADATA_URL": f"{provider.url}/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": "ui-client-secret",
        "OIDC_CRYPTO_PASSPHRASE": "a-test-passphrase-of-some-length",
        # The mock issues refresh tokens without offline_access (and drops scopes it lacks).
        "OIDC_SCOPE": "openid profile email", "OIDC_GROUPS_CLAIM": "groups",
        "ADMIN_GROUP": ADMIN_GROUP,
        # The provider's access tokens are opaque; its ID tokens are JWTs for our client.
        "UI_BEARER_TOKEN": "OIDC_id_token",
        "GATEWAY_REPLICA_1": replicas[0], "GATEWAY_REPLICA_2": replicas[1],
        "MARATHON_URL": info.marathon_url, "MARATHON_USER": "gateway",
        "MARATHON_PASSWORD": "marathon-secret", "CHRONOS_URL": info.chronos_url,
        "CHRONOS_USER": "gateway", "CHRONOS_PASSWORD": "chronos-secret"})


@contextmanager
def ui_stack(root: Path) -> Iterator[UiStack]:
    provider = Provider(list(USERS.values()))
    provider.start()
    try:
        tls = server_certificate(root)
        specs = fast_health_checks(root)
        settings: dict[str, Any] = {
            "oidc_issuers": [provider.url], "oidc_audience": CLIENT_ID, "ui_dev_login": False,
            "ui_csrf_secret": "one-key-for-both-replicas"}
        # The sign-in address names Apache's port, which the replicas must know before Apache
        # starts in front of them.
        apache_port = free_port()
        settings["ui_signin_url"] = signin_url(f"127.0.0.1:{apache_port}")
        with running(TwoGateways(settings, specs)) as (info, replicas):
            apache = _apache(root, tls, provider, info, replicas, https_port=apache_port)
            apache.start()
            try:
                yield UiStack(apache, provider, info, tls, replicas, settings["ui_signin_url"],
                              specs)
            finally:
                apache.stop()
    finally:
        provider.stop()


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
        settings = Settings(
            marathon_url=stack.info.marathon_url, chronos_url=stack.info.chronos_url,
            mesos_url=stack.info.mesos_url, lb_host="127.0.0.1", required_groups=["deep"],
            admin_groups=[ADMIN_GROUP], job_specs_dir=stack.job_specs,
            oidc_issuers=[provider.url], oidc_audience=CLIENT_ID, oidc_leeway=0,
            ui_csrf_secret="one-key-for-both-replicas",
            ui_signin_url=signin_url(f"127.0.0.1:{https_port}", prefix))
        replicas = Replicas(settings)
        with running(replicas) as urls:
            apache = _apache(root, stack.tls, provider, stack.info, urls, https_port=https_port,
                             prefix=prefix)
            apache.start()
            try:
                yield PrefixedSite(apache, provider, prefix, settings.ui_signin_url,
                                   replicas.bearers)
            finally:
                apache.stop()
    finally:
        provider.stop()
