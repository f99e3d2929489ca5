"""RFC 6750 §2.1: the token comes from one Authorization header, and from nowhere else.

Tokens in the query string (§2.3) end up in logs and browser history, and identity headers a
client sends (OIDC_CLAIM_*, X-Forwarded-User, REMOTE_USER ...) prove nothing: neither is read.
A token offered in the URL, or two Authorization headers, is a malformed request (400), so a
client learns its mistake instead of silently being someone else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from gateway.auth.jws import MAX_TOKEN_BYTES
from gateway.errors import InvalidRequest, Unauthorized

# b64token from RFC 6750 §2.1
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
URL_TOKEN_PARAMETERS = ("access_token", "id_token")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header value."""
    if not authorization or not authorization.strip():
        raise Unauthorized("A bearer token is required.", error=None)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        # Other schemes (Basic ...) are not credentials here: answer as if none were sent.
        raise Unauthorized("Only Bearer authentication is accepted.", error=None)
    token = token.strip()
    if len(token) > MAX_TOKEN_BYTES:
        raise Unauthorized("The token is too large.")
    if not token or not _B64TOKEN.fullmatch(token):
        raise InvalidRequest("The Authorization header is not a valid Bearer credential.")
    return token


def bearer_token_from_request(authorization_headers: Sequence[str],
                              query: Mapping[str, str]) -> str:
    """The one bearer token of a request, given all its Authorization headers and its query."""
    if any(name in query for name in URL_TOKEN_PARAMETERS):
        raise InvalidRequest("Tokens are accepted only in the Authorization header.")
    if len(authorization_headers) > 1:
        raise InvalidRequest("Send exactly one Authorization header.")
    return bearer_token(authorization_headers[0] if authorization_headers else None)
