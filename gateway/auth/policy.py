"""Who may use the gateway at all, and who is an administrator: group rules from configuration."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.auth.groups import canonical_group
from gateway.errors import Forbidden, InsufficientScope
from gateway.identity import Identity


class AccessPolicy:
    def __init__(self, required_groups: Iterable[str], admin_groups: Iterable[str],
                 required_scopes: Iterable[str] = ()) -> None:
        self.required = frozenset(canonical_group(g) for g in required_groups)
        self.admins = frozenset(canonical_group(g) for g in admin_groups)
        self.scopes = sorted(set(required_scopes))

    def is_admin(self, groups: frozenset[str]) -> bool:
        return not self.admins.isdisjoint(groups)

    def authorize(self, identity: Identity, *, groups_unavailable: bool = False) -> None:
        """403 insufficient_scope unless the token has the required scopes and the identity is in
        a required group (or an admin). Scopes are what the token may do, so admins need them too.
        """
        if not identity.scopes.issuperset(self.scopes):
            raise InsufficientScope("Your token lacks a scope this gateway requires.", self.scopes)
        if not self.required or identity.is_admin or not self.required.isdisjoint(identity.groups):
            return
        if groups_unavailable:
            raise Forbidden("Your groups could not be obtained from your token's issuer; "
                            "try again later.")
        # The required group names are not repeated: they are the operators' business.
        raise Forbidden("Your token does not carry a group allowed to use this gateway.")
