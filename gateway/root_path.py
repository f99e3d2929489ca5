"""Where a proxy publishes the gateway: the path prefix of every address the gateway hands out
(the UI's links, forms and redirects, the API's ``Location``).

``GATEWAY_ROOT_PATH`` when set, else the proxy's ``X-Forwarded-Prefix``. The replicas are
reachable through the proxy only, and the proxy drops a client's own header before setting it.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from gateway.config import Settings

PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


def root_path(request: Request, settings: Settings) -> str:
    if settings.root_path:
        return settings.root_path
    forwarded = request.headers.get("x-forwarded-prefix", "").strip().rstrip("/")
    return forwarded if PREFIX.fullmatch(forwarded) else ""
