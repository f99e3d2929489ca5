"""Rendering a page: one Jinja2 environment, links under the proxy's prefix, times in the user's zone.

Every link is built from the route's name and the root path (``GATEWAY_ROOT_PATH``, else the
proxy's ``X-Forwarded-Prefix``) and is host-relative, so it is right behind any proxy and any
TLS termination without knowing the public scheme or host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gateway.identity import Identity

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ZONE_COOKIE = "gateway_tz"
UTC_ZONE = ZoneInfo("UTC")

# Pages carry one user's data and forms: never cached, never framed, scripts only our own.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def user_zone(request: Request) -> ZoneInfo:
    name = request.cookies.get(ZONE_COOKIE, "")
    try:
        return ZoneInfo(name) if name else UTC_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


class Pages:
    def __init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)


@dataclass
class Ui:
    """What every page needs: the request, where links start, who is looking, the form token."""

    request: Request
    pages: Pages
    prefix: str
    user: Identity | None
    csrf_token: str
    zone: ZoneInfo
    dev_login: bool
    signin_url: str  # behind Apache: ends the session and logs in anew (sign out, sign in again)

    def url(self, route: str, /, query: dict[str, Any] | None = None, **params: Any) -> str:
        path = self.prefix + self.request.app.url_path_for(route, **params)
        shown = {k: v for k, v in (query or {}).items() if v not in (None, "", False)}
        return f"{path}?{urlencode(shown)}" if shown else path

    def static(self, name: str) -> str:
        return self.url("ui_static", path=name)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    def render(self, template: str, *, status: int = 200,
               headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
        html = self.pages.env.get_template(template).render(ui=self, **context)
        return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    seconds = int((end - start).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s"
