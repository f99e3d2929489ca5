"""Deployment request and response shapes (the contract in DESIGN.md). Pure pydantic, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from gateway.models.common import (
    Hardware,
    ModuleName,
    ServiceKind,
    Storage,
    Strict,
    check_env,
    check_image,
)

DeploymentStatus = Literal["waiting", "deploying", "running", "unhealthy", "failed", "deleting"]


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
        return check_image(image)

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
