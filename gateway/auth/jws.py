"""The signed-token (JWS compact) checks around python-jose, which trusts too much by itself.

python-jose 3.5.0 (see auth.md §2) takes the algorithm from the token unless told otherwise,
ignores ``kid`` when given a key set, accepts a token without ``exp``, does not enforce ``crit``,
has no size limit and lets ``TypeError``/``OverflowError`` escape on odd claim types. So we:
cap the size and shape before parsing, read the header ourselves, pin the algorithms from
configuration, hand python-jose exactly one key, check claim types first, and map every failure
to one exception, :class:`TokenRejected`, whose message is safe to show (it never quotes the token).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError

log = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 16 * 1024
# Access tokens live minutes to hours; a far-future exp (1e300) would otherwise never expire.
MAX_LIFETIME_SECONDS = 31 * 24 * 3600
_ALLOWED_TYP = {None, "jwt", "at+jwt", "application/at+jwt"}
_NUMERIC_CLAIMS = ("exp", "nbf", "iat")
_MAX_SUBJECT_LENGTH = 1024


# Tokens live minutes to hours; saying how to renew one saves a trip to the documentation.
EXPIRED = ("The token has expired; get a fresh one (with oidc-agent: `oidc-token <account>`) "
           "and send it again.")


class TokenRejected(Exception):
    """The token is not acceptable; the message says why without quoting it, ``reason`` in one
    word for metrics (malformed, algorithm, expired, signature_or_claims, lifetime, ...)."""

    def __init__(self, message: str, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class UnverifiedToken:
    """Header and claims of a well-formed JWS, read but not yet trusted."""

    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None

    @property
    def issuer(self) -> str | None:
        iss = self.claims.get("iss")
        return iss if isinstance(iss, str) else None


def parse_unverified(token: str, algorithms: Sequence[str]) -> UnverifiedToken:
    """Shape, size, header and claim types, before any key is looked up."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRejected("The token is too large.")
    segments = token.split(".")
    if len(segments) != 3 or not all(segments[:2]):
        # JWE (five parts), opaque tokens and anything else are not signed JWTs.
        raise TokenRejected("The token is not a signed JWT.")
    header, claims = _json_segment(segments[0]), _json_segment(segments[1])
    if not segments[2]:
        raise TokenRejected("The token is not signed.")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise TokenRejected("The token's signing algorithm is not accepted.", "algorithm")
    if "crit" in header:
        # RFC 7515 §4.1.11: extensions we do not understand make the token invalid.
        raise TokenRejected("The token requires extensions this gateway does not support.")
    typ = header.get("typ")
    if not (typ is None or (isinstance(typ, str) and typ.lower() in _ALLOWED_TYP)):
        raise TokenRejected("The token is not an access token.", "not_access_token")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenRejected("The token's key id is malformed.")
    _check_claim_types(claims)
    return UnverifiedToken(header, claims)


def verify_signed(token: str, key: dict[str, Any], *, algorithms: Sequence[str], issuer: str,
                  audience: str | None, leeway: int, now: float | None = None) -> dict[str, Any]:
    """Signature and registered claims with python-jose, then the checks it does not make."""
    options = {
        "require_exp": True, "require_iss": True, "require_sub": True,
        "verify_aud": audience is not None, "require_aud": audience is not None,
        # at_hash binds an ID token to an access token we are not given.
        "verify_at_hash": False,
        # Times are checked below against our clock; python-jose reads its own, and still
        # checks exp (require_exp turns that on), so it needs the same leeway.
        "verify_exp": False, "verify_nbf": False, "verify_iat": False, "leeway": leeway,
    }
    try:
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=list(algorithms),
                                            issuer=issuer, audience=audience, options=options)
    except ExpiredSignatureError:
        raise TokenRejected(EXPIRED, "expired") from None
    except (JOSEError, TypeError, ValueError, OverflowError, KeyError):
        raise TokenRejected("The token's signature or claims are not valid.",
                            "signature_or_claims") from None
    except Exception as exc:
        # Whatever else python-jose or cryptography may raise on hostile input: still a refusal,
        # never a 500 (and logged, since it would be worth a look).
        log.warning("token verification raised %s; refused", type(exc).__name__)
        raise TokenRejected("The token's signature or claims are not valid.",
                            "signature_or_claims") from None
    now = time.time() if now is None else now
    if now > claims["exp"] + leeway:
        raise TokenRejected(EXPIRED, "expired")
    if claims["exp"] > now + MAX_LIFETIME_SECONDS:
        raise TokenRejected("The token's lifetime is too long.", "lifetime")
    if "nbf" in claims and claims["nbf"] > now + leeway:
        raise TokenRejected("The token is not valid yet.", "not_yet_valid")
    if "iat" in claims and claims["iat"] > now + leeway:
        raise TokenRejected("The token was issued in the future.", "not_yet_valid")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > _MAX_SUBJECT_LENGTH:
        raise TokenRejected("The token has no usable subject.")
    return claims


def looks_like_id_token(token: UnverifiedToken) -> bool:
    """ID tokens are for the client that asked for them, not bearer credentials for an API.

    Only needed when no audience is configured; with one, the audience check refuses them.
    ``at_hash`` appears only in ID tokens, and Keycloak marks them ``typ: ID``. (``nonce`` is no
    sign: older Keycloak releases copied it into access tokens too.)
    """
    claims = token.claims
    return "at_hash" in claims or claims.get("typ") == "ID"


def _json_segment(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != segment.rstrip("="):
            raise ValueError("not canonical base64url")
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise TokenRejected("The token is not a well-formed JWT.") from None
    if not isinstance(value, dict):
        raise TokenRejected("The token is not a well-formed JWT.")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_claim_types(claims: dict[str, Any]) -> None:
    for name in _NUMERIC_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            raise TokenRejected(f"The token's {name} claim is not a number.")


def _finite(value: float) -> bool:
    # JSON integers are unbounded: 1e400 written as digits is an int no float can hold, and
    # math.isfinite would raise on it before any signature was checked.
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
