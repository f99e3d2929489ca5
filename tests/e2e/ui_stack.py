"""The whole web UI stack for browser tests: a real OpenID provider (oidc-provider-mock), the
simulated cluster, two gateway replicas, and Apache with mod_auth_openidc from deploy/apache/ in
front, with TLS from a test CA. Headless Chromium (Debian's, through Playwright) is the user.
prefixed_site.py publishes the same cluster a second time, under a path prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from gateway.app import create_app
from gateway.config import Settings
from gateway.devstack import DevInfo, DevStack
from gateway.serving import EmbeddedServer
from simcluster import SimConfig
from tests.support.apache_server import ApacheServer
from tests.support.background import running
from tests.support.certificates import ServerCertificate, server_certificate
from tests.support.gateway_stack import fast_health_checks
from tests.support.oidc_provider import Provider
from tests.support.ports import free_port

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


def replica_settings(info: DevInfo, job_specs: Path, **settings: Any) -> Settings:
    """A replica's settings for the dev stack's cluster: the catalog and groups the tests use."""
    return Settings(marathon_url=info.marathon_url, chronos_url=info.chronos_url,
                    mesos_url=info.mesos_url, lb_host="127.0.0.1", required_groups=["deep"],
                    admin_groups=[ADMIN_GROUP], job_specs_dir=job_specs, **settings)


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
        settings = replica_settings(info, self._job_specs, **self._settings)
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


def apache_site(root: Path, tls: ServerCertificate, provider: Provider, info: DevInfo,
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
            apache = apache_site(root, tls, provider, info, replicas, https_port=apache_port)
            apache.start()
            try:
                yield UiStack(apache, provider, info, tls, replicas, settings["ui_signin_url"],
                              specs)
            finally:
                apache.stop()
    finally:
        provider.stop()

