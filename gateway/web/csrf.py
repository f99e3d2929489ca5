"""Cross-site request forgery: every form the UI serves carries a token only the gateway can make.

Behind Apache a browser sends mod_auth_openidc's session cookie with requests that other sites
start, and Apache turns that cookie into a valid bearer token; so a bearer token alone does not
prove the user meant to send a form. The synchronizer token is an HMAC of the verified owner and
the time it was issued, so it is worth nothing to another user, and expires. Fetch metadata
(``Sec-Fetch-Site``) and ``Origin`` refuse cross-site posts even before the token is looked at.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

MAX_AGE = 12 * 3600


class CsrfTokens:
    def __init__(self, secret: bytes, *, max_age: int = MAX_AGE,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._max_age = max_age
        self._clock = clock

    def issue(self, owner: str) -> str:
        issued = str(int(self._clock()))
        return f"{issued}.{self._mac(owner, issued)}"

    def valid(self, owner: str, token: str) -> bool:
        issued, _, mac = token.partition(".")
        if not issued.isdigit() or len(issued) > 12:
            return False
        age = self._clock() - int(issued)
        return -60 <= age <= self._max_age and hmac.compare_digest(mac, self._mac(owner, issued))

    def _mac(self, owner: str, issued: str) -> str:
        return hmac.new(self._secret, f"{owner}\x00{issued}".encode(), hashlib.sha256).hexdigest()


def cross_site_reason(headers: Mapping[str, str], own_hosts: Iterable[str]) -> str | None:
    """Why the browser says this request came from another site, or None.

    ``Sec-Fetch-Site`` is set by every current browser and cannot be set by a page; ``Origin``
    covers older ones (its host is compared, so a proxy that does not say its scheme still
    works). Clients that send neither (curl, tests) still need the token.
    """
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"the browser says the form came from a {site} page"
    origin = headers.get("origin")
    if origin is not None:
        hosts = {h.strip().lower() for value in own_hosts for h in value.split(",") if h.strip()}
        if urlsplit(origin).netloc.lower() not in hosts:
            return "the form came from another origin"
    return None
