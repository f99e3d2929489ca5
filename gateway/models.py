"""The API's request and response shapes (the contract in DESIGN.md). Pure pydantic, no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

ServiceKind = Literal["deepaas", "jupyter"]
DeploymentStatus = Literal["waiting", "deploying", "running", "unhealthy", "failed", "deleting"]

# Docker reference: [registry[:port]/]path[:tag][@digest], lower-case path components.
_IMAGE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ModuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Hardware(Strict):
    cpus: float = Field(1.0, gt=0, le=256, description="CPU shares (may be fractional).")
    memory: int = Field(4096, ge=128, le=1024 * 1024, description="Memory in MiB.")
    disk: int = Field(10240, ge=0, le=10 * 1024 * 1024, description="Disk in MiB.")
    gpus: int = Field(0, ge=0, le=16, strict=True, description="Whole GPUs.")


class Storage(Strict):
    rclone_url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=1024)]
    rclone_vendor: Literal["nextcloud", "owncloud", "sharepoint", "other"] = "nextcloud"
    rclone_user: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    rclone_password: SecretStr


def check_env(env: dict[str, str]) -> dict[str, str]:
    for name, value in env.items():
        if not ENV_NAME.match(name):
            raise ValueError(f"environment variable name {name!r} is not a valid shell name")
        if len(value) > 32 * 1024:
            raise ValueError(f"environment variable {name!r} is longer than 32 KiB")
    return env


class DeploymentRequest(Strict):
    module: ModuleName | None = Field(None, description="A catalog module name.")
    image: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        None, description="A Docker image, instead of a module.")
    service: ServiceKind = "deepaas"
    hardware: Hardware = Field(default_factory=Hardware)
    env: dict[str, str] = Field(default_factory=dict, max_length=100)
    storage: Storage | None = None
    jupyter_password: SecretStr | None = None
    description: Annotated[str, StringConstraints(max_length=500)] = ""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "image": "deephdc/deep-oc-image-classification-tf:cpu", "service": "deepaas",
            "hardware": {"cpus": 2, "memory": 8192, "disk": 10240, "gpus": 0},
            "env": {"EPOCHS": "10"}, "description": "plant classifier retraining"}]},
    )

    @field_validator("image")
    @classmethod
    def _docker_reference(cls, image: str | None) -> str | None:
        if image is not None and not _IMAGE.match(image):
            raise ValueError("not a valid Docker image reference")
        return image

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        return check_env(env)


class Task(BaseModel):
    id: str
    host: str | None = None
    state: str
    started_at: datetime | None = None
    healthy: bool | None = None


class Deployment(BaseModel):
    id: str
    owner: str
    module: str | None = None
    image: str
    service: ServiceKind
    hardware: Hardware
    description: str = ""
    created_at: datetime | None = None
    status: DeploymentStatus
    status_reason: str = ""
    endpoints: dict[str, str] = Field(default_factory=dict)
    tasks: list[Task] = Field(default_factory=list)


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next: str | None = None
