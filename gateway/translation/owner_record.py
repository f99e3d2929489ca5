"""What a workload records of its creator, beside the owner key. Pure.

Administrators' lists would otherwise show only owner keys (digests nobody can read), and an
administrator's change must be held to the owner's quota, whose limits follow the owner's
groups; neither the owner's name nor groups are at hand then (only the administrator's token
is), so both are written on the Marathon app or Chronos job when it is created.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable

from gateway.identity import Identity

# Long enough for any real name; a claim is not trusted to be short.
OWNER_NAME_MAX = 100


def display_name(identity: Identity) -> str | None:
    """How people call the caller: the token's name, else preferred username, else e-mail."""
    for candidate in (identity.name, identity.username, identity.email):
        cleaned = clean_name(candidate)
        if cleaned:
            return cleaned
    return None


def clean_name(text: object) -> str | None:
    """One line of printable text, at most OWNER_NAME_MAX characters; None when nothing is left.

    Control and format characters (newlines, bidi overrides) become spaces: the name is shown in
    tables and terminals, where they could forge or hide what surrounds it.
    """
    if not isinstance(text, str):
        return None
    printable = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(printable.split())[:OWNER_NAME_MAX].rstrip() or None


def groups_text(groups: Iterable[str]) -> str:
    """Quota groups as one label or JSON value (a JSON list: group names may hold commas)."""
    return json.dumps(sorted(groups), separators=(",", ":"))


def groups_from(value: object) -> frozenset[str]:
    """Groups recorded by ``groups_text`` (or already a list); nothing for anything else."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return frozenset()
    if not isinstance(value, list):
        return frozenset()
    return frozenset(group for group in value if isinstance(group, str))
