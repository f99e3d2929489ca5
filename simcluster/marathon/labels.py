"""Label selectors for ``GET /v2/apps?label=`` (api/v2/LabelSelector.scala)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from simcluster.marathon.errors import illegal_argument

Selector = Callable[[Mapping[str, str]], bool]

_TERM = r"(?:\\.|[-A-Za-z0-9_.])+"
_EXISTS = re.compile(rf"^\s*({_TERM})\s*$")
_EQUALS = re.compile(rf"^\s*({_TERM})\s*(==|!=)\s*({_TERM})\s*$")
_SET = re.compile(rf"^\s*({_TERM})\s+(in|notin)\s+\(\s*({_TERM}(?:\s*,\s*{_TERM})*)\s*\)\s*$")


def _unescape(term: str) -> str:
    return re.sub(r"\\(.)", r"\1", term)


def _split(query: str) -> list[str]:
    """Split on commas that are outside parentheses and not escaped."""
    parts, depth, current, escaped = [], 0, "", False
    for char in query:
        if escaped:
            current += char
            escaped = False
            continue
        if char == "\\":
            escaped = True
            current += char
        elif char == "(":
            depth += 1
            current += char
        elif char == ")":
            depth -= 1
            current += char
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _holds(labels: Mapping[str, str], op: str, key: str, values: frozenset[str]) -> bool:
    if op == "exists":
        return key in labels
    if op in ("==", "in"):
        return labels.get(key) in values
    return labels.get(key) not in values  # "!=" and "notin"


def parse_selector(query: str) -> Selector:
    terms: list[tuple[str, str, frozenset[str]]] = []
    for part in _split(query):
        if match := _EQUALS.match(part):
            terms.append((match[2], _unescape(match[1]), frozenset({_unescape(match[3])})))
        elif match := _SET.match(part):
            values = frozenset(_unescape(v.strip()) for v in re.split(r"(?<!\\),", match[3]))
            terms.append((match[2], _unescape(match[1]), values))
        elif match := _EXISTS.match(part):
            terms.append(("exists", _unescape(match[1]), frozenset()))
        else:
            raise illegal_argument(f"Can not parse label selector {query}")

    def selector(labels: Mapping[str, str]) -> bool:
        return all(_holds(labels, op, key, values) for op, key, values in terms)

    return selector
