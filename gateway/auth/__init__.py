"""Bearer-token authentication and authorization against trusted OpenID Connect issuers.

``bearer.py`` reads the token (RFC 6750 header rules), ``jws.py`` wraps python-jose safely,
``issuer.py`` caches each trusted issuer's discovery document and keys, ``userinfo.py`` fetches
groups a token leaves out, ``groups.py`` reads group claims and AARC entitlements, ``policy.py``
decides who may enter and who is an admin, ``cache.py`` remembers verified tokens, and
``verifier.py`` puts them together as :class:`TokenVerifier`.
"""

from gateway.auth.bearer import bearer_token
from gateway.auth.policy import AccessPolicy
from gateway.auth.verifier import TokenVerifier

__all__ = ["AccessPolicy", "TokenVerifier", "bearer_token"]
