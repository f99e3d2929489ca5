"""Claims from the issuer's userinfo endpoint, for access tokens that carry no groups.

INDIGO IAM leaves groups, name and email out of access tokens by default, and EGI Check-in puts
entitlements in userinfo. The request carries the user's own token to the issuer that signed
it (the endpoint comes from that issuer's discovery document), nowhere else.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

USERINFO_TIMEOUT = 5.0
_MAX_BYTES = 256 * 1024


async def fetch_userinfo(http: httpx.AsyncClient, endpoint: str, token: str,
                         subject: str) -> dict[str, Any] | None:
    """The userinfo claims for ``subject``, or None when the issuer would not give them."""
    try:
        response = await http.get(endpoint, timeout=USERINFO_TIMEOUT, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json"})
    except httpx.HTTPError as exc:
        log.warning("userinfo %s unreachable: %s", endpoint, type(exc).__name__)
        return None
    if response.status_code != 200 or len(response.content) > _MAX_BYTES:
        log.info("userinfo %s answered HTTP %d", endpoint, response.status_code)
        return None
    try:
        claims = response.json()
    except ValueError:
        # Signed or encrypted userinfo (application/jwt) is not supported.
        return None
    # OpenID Connect Core §5.3.2: the sub must be the token's, or the answer must not be used.
    if not isinstance(claims, dict) or claims.get("sub") != subject:
        log.warning("userinfo %s answered for another subject; ignored", endpoint)
        return None
    return claims
