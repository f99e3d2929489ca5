"""One error tree for the whole gateway, rendered as RFC 9457 problem+json.

Core and edges raise these; one handler in the app turns them into responses. Anything else that
escapes becomes a generic 500 without details, so no stack trace or upstream body ever leaks.

    GatewayError                  500  internal_error
    ├── Unauthorized              401  invalid_token (or the RFC 6750 error; none if no token)
    ├── InvalidRequest            400  invalid_request (malformed Authorization header)
    ├── Forbidden                 403  insufficient_scope
    │   └── InsufficientScope     403  insufficient_scope, the challenge names the scopes
    ├── NotFound                  404  not_found (also: not yours)
    ├── Conflict                  409  conflict
    ├── PayloadTooLarge           413  payload_too_large (GATEWAY_MAX_BODY_BYTES)
    ├── InvalidInput              422  invalid_input, ``errors`` name the fields
    ├── QuotaExceeded             403  quota_exceeded, ``quota`` says what is used and allowed
    ├── UpstreamError             502  upstream_error (a scheduler refused or failed)
    └── UpstreamUnavailable       503  upstream_unavailable (no leader, lock busy, not configured)

401, 400 and 403 from the first four carry a ``WWW-Authenticate: Bearer`` challenge.
"""

from __future__ import annotations

from typing import Any

from gateway.problem_docs import problem_type

PROBLEM_JSON = "application/problem+json"
REALM = "gateway"


class GatewayError(Exception):
    """Base of every error the gateway reports to a client."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": problem_type(self.code),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class Unauthorized(GatewayError):
    """401 with an RFC 6750 challenge. ``error`` is None when no credentials were sent at all."""

    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": _challenge(error, detail)})
        if error:
            self.code = error


class InvalidRequest(GatewayError):
    """RFC 6750 ``invalid_request``: a malformed Authorization header."""

    status, code, title = 400, "invalid_request", "Malformed request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": _challenge("invalid_request", detail)})


class Forbidden(GatewayError):
    status, code, title = 403, "insufficient_scope", "Not allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": _challenge("insufficient_scope", detail)})


class InsufficientScope(Forbidden):
    """403 for a token without the OAuth scopes the gateway requires; the challenge names them."""

    def __init__(self, detail: str, scopes: list[str]) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] += f', scope="{_quote(" ".join(scopes))}"'


class NotFound(GatewayError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(GatewayError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(GatewayError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class InvalidInput(GatewayError):
    """422: the request is well formed but its content is refused. ``errors`` name the fields."""

    status, code, title = 422, "invalid_input", "Invalid input"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, extra={"errors": errors or []})


class QuotaExceeded(GatewayError):
    status, code, title = 403, "quota_exceeded", "Quota exceeded"


class UpstreamError(GatewayError):
    """An upstream scheduler refused or failed a call; ``detail`` is our sentence, never its body."""

    status, code, title = 502, "upstream_error", "Upstream scheduler error"


class UpstreamUnavailable(GatewayError):
    """No leader known, or the leader does not answer. Retrying helps, so the answer says when
    (``Retry-After``), unless ``retry_after`` is None (something not configured)."""

    status, code, title = 503, "upstream_unavailable", "Upstream scheduler unavailable"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, retry_after: int | None = 5) -> None:
        headers = dict(headers or {})
        if retry_after is not None:
            headers.setdefault("Retry-After", str(retry_after))
        super().__init__(detail, extra=extra, headers=headers)


def _challenge(error: str | None, detail: str) -> str:
    """RFC 6750 §3 ``WWW-Authenticate``; without ``error`` when no credentials were sent."""
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}", error_description="{_quote(detail)}"'
    return challenge


def _quote(text: str) -> str:
    # RFC 6750 error_description allows %x20-21 / %x23-5B / %x5D-7E: no quote or backslash.
    return "".join(ch for ch in text if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')
