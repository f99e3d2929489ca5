"""RFC 6750 §2.1: the token comes from one Authorization header, and from nowhere else.

Tokens in the query string (§2.3) end up in logs and browser history, and identity headers a
client sends (OIDC_CLAIM_*, X-Forwarded-User, REMOTE_USER ...) prove nothing: neither is read.
A token offered in the URL, or two Authorization headers, is a malformed request (400), so a
client learns its mistake instead of silently being someone else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

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


def without_url_tokens(target: str) -> str:
    """A request target fit for a log line: the query is dropped when it offers a token."""
    path, mark, query = target.partition("?")
    names = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
    if mark and not names.isdisjoint(URL_TOKEN_PARAMETERS):
        return f"{path}?[query with a token, not logged]"
    return target


class RedactUrlTokens(logging.Filter):
    """For uvicorn's access log, which writes each request's path with its query string.

    A token a client puts in the URL is refused (400), but it is still a valid token, and
    access logs are read by more people than the token's owner.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(without_url_tokens(arg) if isinstance(arg, str) and "?" in arg
                                else arg for arg in record.args)
        return True
