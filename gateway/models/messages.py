"""Validation errors in the words of the person who sent the request, not of pydantic.

pydantic describes its own machinery ("Value error, ...", "should have at least 9 items after
validation", a raw regular expression). ``field_errors`` turns each of its errors into
``{"field", "message"}`` that says what is expected, and suggests the field meant when a name is
misspelt. ``json_syntax_error`` says where a body stops being JSON. Pure: no I/O, no framework.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from gateway.models.common import ENV_NAME, IMAGE_REFERENCE, MODULE_NAME_PATTERN

# Patterns of the models, described; any other pattern gets a sentence without the expression.
_PATTERNS = {
    MODULE_NAME_PATTERN: "must be a module name: lower-case letters, digits and '-' "
                         "(GET /v1/modules lists them)",
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$": "must be 1 to 63 letters, digits, '_', '.' or '-', "
                                          "starting with a letter or digit",
    r"^https://\S+$": "must be an https:// URL without spaces",
    ENV_NAME.pattern: "must be a shell variable name: letters, digits and '_', not starting "
                      "with a digit",
    IMAGE_REFERENCE.pattern: "must be a Docker image reference such as "
                             "deephdc/deep-oc-image-classification-tf:cpu",
}

_KIND = {
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number", "float_type": "must be a number",
    "float_parsing": "must be a number", "bool_type": "must be true or false",
    "bool_parsing": "must be true or false", "string_type": "must be text",
    "list_type": "must be a list", "dict_type": "must be an object (a mapping of names to values)",
    "model_type": "must be an object (a mapping of field names to values)",
    "model_attributes_type": "must be an object (a mapping of field names to values)",
    "datetime_type": "must be an ISO 8601 date-time", "datetime_parsing": "must be an ISO 8601 "
                                                                          "date-time",
    "missing": "is required", "json_type": "must be JSON",
}

_BOUNDS = {"greater_than": "must be greater than {gt}",
           "greater_than_equal": "must be at least {ge}",
           "less_than": "must be less than {lt}", "less_than_equal": "must be at most {le}"}


def field_errors(errors: Iterable[Mapping[str, Any]],
                 body_model: type[BaseModel] | None = None) -> list[dict[str, str]]:
    """Each error as ``{"field": "hardware.gpus", "message": "must be a whole number"}``."""
    return [{"field": field_name(error.get("loc", ())),
             "message": message(error, _fields_at(body_model, _body_path(error.get("loc", ()))))}
            for error in errors]


def field_name(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in _body_path(loc)) or "body"


def message(error: Mapping[str, Any], siblings: Sequence[str] = ()) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _unknown_field(str(_last(error.get("loc", ()))), siblings)
    if kind in ("string_too_short", "too_short"):
        return _length("at least", ctx.get("min_length"), error)
    if kind in ("string_too_long", "too_long"):
        return _length("at most", ctx.get("max_length"), error)
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(ctx.get("pattern")), "is not in the form this field accepts")
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}"
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(**{key: number_text(value) for key, value in ctx.items()})
    if kind in _KIND:
        return _KIND[kind]
    text = str(error.get("msg", "is not valid"))
    return text.removeprefix("Value error, ")


def json_syntax_error(document: str | bytes | None, position: int, reason: str) -> str:
    """Where a body stops being JSON: "Expecting value at line 2, column 14"."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document or ""
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return f"The request body is not valid JSON: {reason} at line {line}, column {column}."


def _unknown_field(name: str, siblings: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, siblings, n=1, cutoff=0.6)
    if close:
        return f"is not a field here; did you mean `{close[0]}`?"
    if siblings:
        return "is not a field here; the fields are " + ", ".join(f"`{s}`" for s in siblings)
    return "is not a field here"


def _length(bound: str, limit: Any, error: Mapping[str, Any]) -> str:
    # pydantic counts a secret string's (a password's) length in "items"; it is text all the same.
    if bound == "at least" and limit == 1:
        return "must not be empty"
    if isinstance(error.get("input"), list | dict):
        return f"must have {bound} {limit} items"
    return f"must be {bound} {limit} characters long"


def number_text(value: Any) -> str:
    """A number as people write it: 8 for 8.0, 0.1, 1048576 (never 1.04858e+06)."""
    return format(value, ".15g") if isinstance(value, float) else str(value)


def _last(loc: Sequence[Any]) -> Any:
    return loc[-1] if loc else ""


def _body_path(loc: Sequence[Any]) -> list[Any]:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return parts


def _fields_at(model: type[BaseModel] | None, path: Sequence[Any]) -> list[str]:
    """The field names of the object that holds the last element of ``path`` (for suggestions)."""
    for part in path[:-1]:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return []
        model = _model_in(model.model_fields[part].annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
