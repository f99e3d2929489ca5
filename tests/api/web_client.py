"""The web UI in a TestClient over the fake Marathon/Mesos and Chronos, with the dev issuer's
demo users; pages are read as a browser would (links, forms and their CSRF tokens)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from tests.support.asgi_handler import asgi_handler
from tests.support.fake_chronos import CHRONOS, FakeChronos
from tests.support.fake_marathon import MARATHON, MESOS, FakeCluster

ISSUER = "https://issuer.test/"
JOB_SPECS = Path(__file__).parents[2] / "job_specs"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class WebClient:
    client: TestClient
    issuer: DevIssuer
    cluster: FakeCluster
    chronos: FakeChronos
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}

    def page(self, path: str, user: str | None = "alice", **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(user), **kwargs.pop("headers", {})}
        return self.client.get(path, headers=headers, follow_redirects=False, **kwargs)

    def csrf(self, path: str = "/ui/jobs", user: str = "alice") -> str:
        match = CSRF.search(self.page(path, user).text)
        assert match, "the page has no form token"
        return match.group(1)

    def post(self, path: str, data: dict[str, Any], user: str | None = "alice",
             **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(user), **kwargs.pop("headers", {})}
        return self.client.post(path, data=data, headers=headers, follow_redirects=False,
                                **kwargs)

    def send_form(self, page: str, action: str, data: dict[str, Any],
                  user: str = "alice", **kwargs: Any) -> httpx.Response:
        """Load ``page`` as ``user``, then post its form's token with ``data`` to ``action``."""
        return self.post(action, {"csrf": self.csrf(page, user), **data}, user, **kwargs)


def web_client(dev_login: bool = False, **settings: Any) -> Iterator[WebClient]:
    issuer = DevIssuer(ISSUER)
    cluster, chronos = FakeCluster(), FakeChronos()
    async def route(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(CHRONOS):
            return await chronos.handle(request)
        return await cluster.handle(request)

    cluster.other = asgi_handler(issuer.asgi_app())
    conf = Settings(oidc_issuers=[ISSUER], marathon_url=MARATHON, mesos_url=MESOS,
                    chronos_url=CHRONOS, required_groups=[DEMO_GROUP], admin_groups=[ADMIN_GROUP],
                    job_specs_dir=JOB_SPECS, lb_host="lb.test", ui_dev_login=dev_login,
                    **settings)
    app = create_app(conf, transport=httpx.MockTransport(route),
                     dev_login=issuer if dev_login else None)
    with TestClient(app) as client:
        yield WebClient(client, issuer, cluster, chronos, issuer.demo_tokens())
