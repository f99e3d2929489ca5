"""Jackson ``JsonNode`` coercions, which Chronos' hand-written deserializer relies on.

``JobDeserializer`` reads every field with ``asText``/``asInt``/``asDouble``/``asBoolean``, which
never fail: they coerce strings and numbers into each other and fall back to a default. A
missing key is a Java ``null`` (``node.get`` returns null, so calling ``asText`` on it throws a
NullPointerException); a JSON ``null`` is a ``NullNode`` whose text is ``"null"``.
"""

from __future__ import annotations

import math
from typing import Any

from simcluster.chronos.responses import UnmappedException

NPE = "java.lang.NullPointerException"


class Missing:
    """Java ``null``: what ``node.get(name)`` returns for an absent key."""


MISSING = Missing()


def get(node: Any, name: str) -> Any:
    if isinstance(node, dict) and name in node:
        return node[name]
    return MISSING


def has(node: Any, name: str) -> bool:
    return isinstance(node, dict) and name in node


def as_text(value: Any) -> str:
    if isinstance(value, Missing):
        raise UnmappedException(NPE)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    return ""  # objects and arrays


def as_double(value: Any, default: float = 0.0) -> float:
    if isinstance(value, Missing):
        raise UnmappedException(NPE)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return default
        return parsed if math.isfinite(parsed) else default
    return default


def as_long(value: Any, default: int = 0) -> int:
    if isinstance(value, Missing):
        raise UnmappedException(NPE)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            return default
    return default


def as_int(value: Any, default: int = 0) -> int:
    number = as_long(value, default)
    # Java int overflow wraps; nobody sends such values on purpose, so clamp into range.
    return max(-(2**31), min(2**31 - 1, number))


def as_boolean(value: Any, default: bool = False) -> bool:
    if isinstance(value, Missing):
        raise UnmappedException(NPE)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip() == "true" if value.strip() in ("true", "false") else default
    return default


def text_or(node: Any, name: str, default: str) -> str:
    return as_text(node[name]) if has(node, name) else default


def bool_or(node: Any, name: str, default: bool) -> bool:
    return as_boolean(node[name], default) if has(node, name) else default


def long_or(node: Any, name: str, default: int) -> int:
    return as_long(node[name], default) if has(node, name) else default


def double_or(node: Any, name: str, default: float) -> float:
    return as_double(node[name], default) if has(node, name) else default


def elements(value: Any) -> list[Any]:
    """Iterating a node: arrays give their items, anything else nothing."""
    return list(value) if isinstance(value, list) else []


def _java_double(value: float) -> str:
    if value == int(value) and abs(value) < 1e7:
        return f"{value:.1f}"
    return repr(value)
