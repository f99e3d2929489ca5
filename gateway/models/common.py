"""Shapes shared by deployments and jobs. Pure pydantic, no I/O."""

from __future__ import annotations

import re
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, StringConstraints

ServiceKind = Literal["deepaas", "jupyter"]

# Docker reference: [registry[:port]/]path[:tag][@digest], lower-case path components.
IMAGE_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # fullmatch: "$" lets a trailing newline in
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MODULE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
ModuleName = Annotated[str, StringConstraints(pattern=MODULE_NAME_PATTERN)]
# Validation context key: only the fields that parsed are validated (the web form then shows the
# services' checks of those beside the refusals of the others), so a rule that needs another,
# missing field cannot be judged and is left to the full validation.
PARTIAL = "partial"


def _as_text(value: object) -> object:
    # YAML and JSON writers type `EPOCHS: 10` as a number; the environment only has text, so a
    # number or boolean means its own text (true/false as JSON writes them), not an error.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


EnvValue = Annotated[str, BeforeValidator(_as_text)]

# Names the schedulers, the runtime or the gateway itself set in a task's environment: a user
# value would be ignored (Chronos), break port binding (Marathon's PORTn) or impersonate the
# storage and notebook settings the gateway writes.
RESERVED_ENV_PREFIXES = ("PORT", "MESOS_", "MARATHON_", "RCLONE_", "LIBPROCESS_", "NVIDIA_",
                         "CHRONOS_", "GATEWAY_", "HAPROXY_")
RESERVED_ENV_NAMES = frozenset({"HOST", "HOME", "PATH", "USER", "jupyterPASSWORD",
                                "JUPYTER_PASSWORD", "CUDA_VISIBLE_DEVICES", "mesos_task_id"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Mesos keeps scalar resources to three decimals: less than this rounds to (almost) nothing,
# which Marathon refuses and Chronos stores but no offer ever matches usefully.
MIN_CPUS = 0.01


class Hardware(Strict):
    model_config = ConfigDict(allow_inf_nan=False)

    cpus: float = Field(1.0, ge=MIN_CPUS, le=256,
                        description=f"CPU shares (may be fractional, at least {MIN_CPUS}).")
    memory: int = Field(4096, ge=128, le=1024 * 1024, description="Memory in MiB.")
    disk: int = Field(10240, ge=0, le=10 * 1024 * 1024, description="Disk in MiB.")
    gpus: int = Field(0, ge=0, le=16, strict=True, description="Whole GPUs (Mesos refuses fractions).")


class HardwareView(BaseModel):
    """Resources as the scheduler holds them: read back, so not held to the request bounds (an
    operator may have edited the app or job in Marathon or Chronos)."""

    cpus: float
    memory: int = Field(description="Memory in MiB.")
    disk: int = Field(description="Disk in MiB.")
    gpus: int


class Storage(Strict):
    """A WebDAV remote (Nextcloud, ownCloud...) the task reaches through rclone as ``rshare:``."""

    rclone_url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=1024)] = Field(
        description="WebDAV URL, e.g. https://nc.example.org/remote.php/webdav/.")
    rclone_vendor: Literal["nextcloud", "owncloud", "sharepoint", "other"] = "nextcloud"
    rclone_user: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    rclone_password: SecretStr = Field(
        min_length=1, max_length=1024,
        description="Sent to the task obscured the way rclone expects; never returned or logged.")


def check_env(env: dict[str, str]) -> dict[str, str]:
    for name, value in env.items():
        if not ENV_NAME.fullmatch(name):
            raise ValueError(f"environment variable name {name!r} is not a valid shell name")
        if len(value) > 32 * 1024:
            raise ValueError(f"environment variable {name!r} is longer than 32 KiB")
        if _CONTROL.search(value):
            # A NUL ends the value early in the task's environment (C strings); other control
            # characters only garble logs and terminals. Tab and line breaks stay allowed.
            raise ValueError(f"environment variable {name!r} must not contain NUL or other "
                             "control characters")
    return env


def reserved_env_names(env: dict[str, str]) -> list[str]:
    """The names in ``env`` a user may not set (sorted), see RESERVED_ENV_PREFIXES."""
    return sorted(name for name in env
                  if name in RESERVED_ENV_NAMES or name.startswith(RESERVED_ENV_PREFIXES))


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next: str | None = Field(None, description="Cursor for the next page, or null at the end.")


def check_image(image: str | None) -> str | None:
    if image is not None and not IMAGE_REFERENCE.fullmatch(image):
        raise ValueError("not a valid Docker image reference")
    return image
