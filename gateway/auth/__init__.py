"""Bearer-token authentication and authorization against trusted OpenID Connect issuers."""

from gateway.auth.bearer import bearer_token
from gateway.auth.verifier import TokenVerifier

__all__ = ["TokenVerifier", "bearer_token"]
