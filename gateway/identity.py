"""Who is calling: the part of a verified token the rest of the gateway relies on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property


def owner_key(issuer: str, subject: str) -> str:
    """A stable, label-safe key for ``sub`` at ``iss``.

    ``sub`` is only unique per issuer, and both may contain characters that Marathon label
    selectors and Chronos job names refuse, so the owner is a digest of the pair.
    """
    digest = hashlib.sha256(f"{issuer}\x00{subject}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class Identity:
    """A caller, built only from a verified token (and its issuer's userinfo), never from headers."""

    subject: str
    issuer: str
    name: str | None = None
    email: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    username: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def owner(self) -> str:
        # Made once per identity, which the verified-token cache keeps: every request asks.
        return owner_key(self.issuer, self.subject)

    def may_act_for(self, owner: str) -> bool:
        """Admins act on everyone's resources; others only on their own."""
        return self.is_admin or owner == self.owner
