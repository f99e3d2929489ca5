"""RFC 6750 §2.1: reading the token from the Authorization header, and nothing else."""

from __future__ import annotations

import re

from gateway.errors import InvalidRequest, Unauthorized

# b64token from RFC 6750 §2.1
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("A bearer token is required.", error=None)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized("Only Bearer authentication is accepted.", error=None)
    token = token.strip()
    if not token or not _B64TOKEN.fullmatch(token):
        raise InvalidRequest("The Authorization header is not a valid Bearer credential.")
    return token
