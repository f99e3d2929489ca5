"""Verified tokens remembered until they expire, so a busy client costs one check, not one per call.

Keyed by a digest of the token (the cache never holds a usable token), bounded in size with
least-recently-used eviction, and each entry also bounded in age: a key the issuer withdraws, or
groups that change at the issuer, take effect within ``max_age`` even for long-lived tokens.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_AGE = 300.0


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class VerifiedTokenCache(Generic[T]):
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES,
                 max_age: float = DEFAULT_MAX_AGE) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[bytes, tuple[float, T]] = OrderedDict()

    def get(self, token: str, now: float) -> T | None:
        key = token_digest(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        until, value = entry
        if now >= until:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, token: str, value: T, *, expires_at: float, now: float,
            max_age: float | None = None) -> None:
        until = min(expires_at, now + (self.max_age if max_age is None else max_age))
        if until <= now:
            return
        key = token_digest(token)
        self._entries[key] = (until, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
