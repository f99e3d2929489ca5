"""Groups (and scopes) from token or userinfo claims: group names and AARC entitlement URNs.

Matching is by exact string only. Entitlements (AARC-G002,
``urn:<nid>:<namespace>:group:<group>[:<subgroup>...][:role=<role>][#<authority>]``) are parsed so
that only well-formed ones count and so that the case-insensitive ``urn:<nid>:`` prefix cannot be
used to make one value look like two. A parsed entitlement yields its canonical form and the same
form without ``#<authority>``: the authority only says who asserted the membership, and operators
write requirements either way. Look-alikes (``vo.example.eu.evil``, another VO's ``role=member``,
prefixes) stay different strings, so they never match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Claims whose values are AARC entitlement URNs (EGI Check-in, IAM's aarc profile).
ENTITLEMENT_CLAIMS = frozenset({"eduperson_entitlement", "entitlements"})

# RFC 8141 NID, then the namespace-specific part; the group syntax of AARC-G002 inside it.
_URN = re.compile(r"urn:(?P<nid>[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]):(?P<nss>[^#\s]+)"
                  r"(?:#(?P<authority>[^#\s]+))?", re.IGNORECASE)
_GROUP_PART = re.compile(r"[^:#\s]+")
_MAX_VALUE_LENGTH = 1024
_MAX_VALUES_PER_CLAIM = 1000


def canonical_entitlement(value: str) -> tuple[str, str] | None:
    """(canonical with authority, canonical without it) of an AARC group entitlement, else None."""
    match = _URN.fullmatch(value)
    if match is None:
        return None
    nss = match["nss"]
    namespace, sep, group_path = nss.partition(":group:")
    if not sep or not namespace:
        return None
    parts = group_path.split(":")
    if parts and parts[-1].startswith("role="):
        role = parts.pop()
        if not _GROUP_PART.fullmatch(role[len("role="):]):
            return None
    if not parts or not all(_GROUP_PART.fullmatch(p) and not p.startswith("role=") for p in parts):
        return None
    base = f"urn:{match['nid'].lower()}:{nss}"
    authority = match["authority"]
    return (f"{base}#{authority}" if authority else base), base


def canonical_group(value: str) -> str:
    """How a configured group is compared: entitlement URNs canonical, anything else verbatim."""
    if value[:4].lower() == "urn:":
        forms = canonical_entitlement(value)
        if forms is not None:
            return forms[0]
    return value


def groups_from_claims(claims: Mapping[str, object], claim_names: Iterable[str]) -> frozenset[str]:
    """Every group the claims assert, from the configured claim names, as exact strings."""
    groups: set[str] = set()
    for name in claim_names:
        for value in _string_values(claims.get(name)):
            if name in ENTITLEMENT_CLAIMS:
                forms = canonical_entitlement(value)
                if forms is not None:
                    groups.update(forms)
            else:
                groups.add(value)
    return frozenset(groups)


def carries_groups(claims: Mapping[str, object], claim_names: Iterable[str]) -> bool:
    """Whether the issuer put any of the group claims in at all (an empty list counts)."""
    return any(name in claims for name in claim_names)


def _string_values(value: object) -> list[str]:
    # A single string is one group: splitting on spaces or commas would invent groups.
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item for item in items[:_MAX_VALUES_PER_CLAIM]
            if isinstance(item, str) and 0 < len(item) <= _MAX_VALUE_LENGTH]


def token_scopes(claims: Mapping[str, object]) -> frozenset[str]:
    """OAuth scopes: ``scope`` is space separated (RFC 9068); some issuers send ``scp``, a list."""
    scope, scp = claims.get("scope"), claims.get("scp")
    values = scope.split() if isinstance(scope, str) else []
    values += scp.split() if isinstance(scp, str) else _string_values(scp)
    return frozenset(values)
