"""From a posted form to the API's request models, and from their errors back to the fields.

The inputs are named like the API's fields (``hardware.cpus``, ``storage.rclone_url``), so the
field paths of pydantic's errors (worded as the API words them) and of the services'
``InvalidInput`` land on the input they concern; what matches no input is said at the top of
the form. Secrets are never put back into a form that is shown again.

Every error is shown at once: when some fields are refused, the service's own checks (ranges,
reserved names, what the cluster can hold) still run on the fields that parsed, so a too-short
password does not hide that 99 CPUs is out of range until it is fixed. The rules stay the
service's; the form only leaves the refused fields out.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.errors import GatewayError, InvalidInput, QuotaExceeded
from gateway.models.common import PARTIAL
from gateway.models.messages import field_errors
from gateway.web.context import Form

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
# Leaving out a refused field can refuse another (storage without its URL): a few rounds at most.
_PARTIAL_ROUNDS = 3
FieldErrors = dict[str, list[str]]  # input name -> sentences; "" is the form as a whole
SECRET_FIELDS = ("storage.rclone_password", "jupyter_password", "csrf")
HARDWARE = (("cpus", float), ("memory", int), ("disk", int), ("gpus", int))

class FormInvalid(Exception):
    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("invalid form")
        self.errors = errors


def sentence(message: str) -> str:
    text = message.removeprefix("Value error, ").strip()
    if not text:
        return "This value is not valid."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def field_for(path: str, inputs: set[str]) -> str:
    """The input a field path belongs to: the path itself or its nearest parent (env.X -> env)."""
    parts = path.split(".")
    while parts:
        name = ".".join(parts)
        if name in inputs:
            return name
        parts.pop()
    return ""


def add_error(errors: FieldErrors, field: str, message: str) -> None:
    if message not in errors.get(field, []):
        errors.setdefault(field, []).append(message)


def merge(errors: FieldErrors, more: FieldErrors) -> None:
    for field, messages in more.items():
        for message in messages:
            add_error(errors, field, message)


def validation_errors(exc: ValidationError, inputs: set[str]) -> FieldErrors:
    """pydantic's errors in the API's own words (gateway/models/messages.py), on their inputs."""
    errors: FieldErrors = {}
    for error in field_errors(exc.errors()):
        add_error(errors, field_for(error["field"], inputs), sentence(error["message"]))
    return errors


def service_errors(exc: InvalidInput, inputs: set[str]) -> FieldErrors:
    listed = exc.extra.get("errors") or []
    errors: FieldErrors = {}
    for item in listed:
        add_error(errors, field_for(str(item.get("field", "")), inputs),
                  sentence(str(item.get("message", ""))))
    if not listed or "" not in errors:
        add_error(errors, "", exc.detail)
    return errors


def shown_values(form: Form) -> dict[str, str]:
    """What the user typed, to fill the form again: everything but the secrets."""
    return {name: form.get(name) for name in form.names() if name not in SECRET_FIELDS}


def hardware(form: Form, errors: FieldErrors) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for name, kind in HARDWARE:
        text = form.get(f"hardware.{name}")
        if not text:
            continue  # the module's default
        try:
            chosen[name] = kind(text)
        except ValueError:
            add_error(errors, f"hardware.{name}", "Enter a number." if kind is float
                      else "Enter a whole number.")
    return chosen


def env(form: Form, errors: FieldErrors) -> dict[str, str]:
    variables: dict[str, str] = {}
    for line in form.get("env").splitlines():
        if not line.strip():
            continue
        name, sign, value = line.partition("=")
        if not sign or not name.strip():
            add_error(errors, "env", "Write one NAME=value per line.")
            break
        variables[name.strip()] = value.strip()
    return variables


def storage(form: Form) -> dict[str, str] | None:
    names = ("rclone_url", "rclone_vendor", "rclone_user", "rclone_password")
    values = {name: form.get(f"storage.{name}") for name in names}
    if not any(values[n] for n in ("rclone_url", "rclone_user", "rclone_password")):
        return None
    return {k: v for k, v in values.items() if v}


async def build(model: type[M], data: dict[str, Any], errors: FieldErrors, inputs: set[str],
                check: Callable[[M], Awaitable[object]]) -> M:
    """The request, or FormInvalid with every error: the form's own (already in ``errors``), the
    model's, and what ``check`` (the service's validation, which sends nothing) refuses of the
    fields that parsed."""
    try:
        built = model.model_validate(data)
    except ValidationError as exc:
        merge(errors, validation_errors(exc, inputs))
        part = parsed_part(model, data, exc)
    else:
        if not errors:
            return built
        part = built
    if part is not None:
        try:
            await check(part)
        except InvalidInput as refused:
            merge(errors, service_errors(refused, inputs))
        except GatewayError:
            pass  # e.g. no Mesos master to size against: the errors found so far still show
    raise FormInvalid(errors)


def parsed_part(model: type[M], data: dict[str, Any], exc: ValidationError) -> M | None:
    """The request made of the fields that parsed, each refused one left out (so it takes its
    default); None when that cannot be made."""
    partial = copy.deepcopy(data)
    for _ in range(_PARTIAL_ROUNDS):
        if not all(_leave_out(partial, error["loc"]) for error in exc.errors()):
            return None
        try:
            return model.model_validate(partial, context={PARTIAL: True})
        except ValidationError as again:
            exc = again
    return None


def _leave_out(data: dict[str, Any], location: Sequence[int | str]) -> bool:
    """Remove the value a pydantic error's ``loc`` points into: a whole list for an item of it,
    the whole object for a required member it lacks (storage without its URL). False when
    there is nothing to remove: a required field missing, or a rule over the whole request."""
    node, parent = data, None
    for index, key in enumerate(location):
        if key not in node:
            break
        inner = node[key]
        if index == len(location) - 1 or not isinstance(inner, dict):
            del node[key]
            return True
        node, parent = inner, (node, key)
    if parent is None:
        return False
    container, key = parent
    del container[key]
    return True


async def submit(create: Callable[[], Awaitable[T]], inputs: set[str]) -> tuple[T | None, FieldErrors]:
    """Build and send the request; what the form or the service refuses comes back as errors."""
    try:
        return await create(), {}
    except FormInvalid as invalid:
        return None, invalid.errors
    except InvalidInput as exc:
        return None, service_errors(exc, inputs)
    except QuotaExceeded as exc:
        return None, {"": [exc.detail]}
