"""Deployment request and response shapes (the contract in DESIGN.md). Pure pydantic, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from gateway.models.common import (
    PARTIAL,
    EnvValue,
    Hardware,
    HardwareView,
    ModuleName,
    ServiceKind,
    Storage,
    Strict,
    check_env,
    check_image,
)

# "unknown": the app as Marathon holds it cannot be read (status_reason says why).
DeploymentStatus = Literal["waiting", "deploying", "running", "unhealthy", "restarting", "failed",
                           "deleting", "unknown"]
LogStream = Literal["stdout", "stderr"]

# ai4-papi refuses notebook passwords shorter than 9 characters; so do we.
JUPYTER_PASSWORD_MIN = 9

_REQUEST_EXAMPLES: list[JsonValue] = [
    {"module": "image-classification-tf", "service": "deepaas",
     "hardware": {"cpus": 2, "memory": 8192, "disk": 10240, "gpus": 1},
     "env": {"EPOCHS": "10"}, "description": "plant classifier retraining"},
    {"image": "deephdc/deep-oc-generic-dev:tf2-gpu", "service": "jupyter",
     "hardware": {"cpus": 4, "memory": 16384, "gpus": 1},
     "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                 "rclone_vendor": "nextcloud", "rclone_user": "DEEP-IAM-0123",
                 "rclone_password": "app-password-from-nextcloud"},
     "jupyter_password": "a-long-notebook-password"},
]


class DeploymentRequest(BaseModel):
    """What a user asks for. Fields left out are filled from the module's defaults."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": _REQUEST_EXAMPLES})

    module: ModuleName | None = Field(None, description="A catalog module name (or give `image`).")
    image: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        None, description="A Docker image from an allowed registry, instead of a module.")
    service: ServiceKind = Field("deepaas", description="What the container runs.")
    hardware: Hardware = Field(
        default_factory=Hardware,
        description="Resources; each field left out takes the module's default, and each must "
                    "stay within the module's (or, for images, the operators') maximum.")
    env: dict[str, EnvValue] = Field(
        default_factory=dict, max_length=100,
        description="Extra environment variables (shell names; some are reserved for the "
                    "gateway and the schedulers). Values are text; a number or boolean is taken "
                    "as its text (10 as \"10\", true as \"true\").")
    storage: Storage | None = Field(None, description="Remote storage the task mounts with rclone.")
    jupyter_password: SecretStr | None = Field(
        None, min_length=JUPYTER_PASSWORD_MIN, max_length=256, validate_default=True,
        description=f"JupyterLab password, at least {JUPYTER_PASSWORD_MIN} characters; required "
                    "for (and only accepted with) the jupyter service.")
    description: Annotated[str, StringConstraints(max_length=500)] = ""

    @field_validator("image")
    @classmethod
    def _docker_reference(cls, image: str | None) -> str | None:
        return check_image(image)

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        return check_env(env)

    @field_validator("jupyter_password")
    @classmethod
    def _password_goes_with_jupyter(cls, password: SecretStr | None,
                                    info: ValidationInfo) -> SecretStr | None:
        # A field validator (not a model one) so the 422 names `jupyter_password`.
        service = info.data.get("service")
        if service == "jupyter" and password is None and not (info.context or {}).get(PARTIAL):
            raise ValueError("required for the jupyter service")
        if service is not None and service != "jupyter" and password is not None:
            raise ValueError("only used by the jupyter service")
        return password

    def fingerprint_fields(self) -> dict[str, Any]:
        """The request without its secrets: what an idempotent retry must repeat exactly."""
        data = self.model_dump(mode="json", exclude={"jupyter_password"})
        if data.get("storage"):
            data["storage"].pop("rclone_password", None)
        return data


class Task(BaseModel):
    id: str
    host: str | None = None
    state: str = Field(description="Mesos task state, e.g. TASK_RUNNING.")
    started_at: datetime | None = None
    healthy: bool | None = Field(None, description="Health-check result; null before the first.")


_DEPLOYMENT_EXAMPLE: JsonValue = {
    "id": "3f9c0e2a7b41d8c6e5a90b12", "owner": "0744bb3423df4e4421a5fa726ff936ae",
    "owner_name": "Alice Example",
    "module": "image-classification-tf", "image": "deephdc/deep-oc-image-classification-tf:gpu",
    "service": "deepaas", "hardware": {"cpus": 2, "memory": 8192, "disk": 10240, "gpus": 1},
    "description": "plant classifier retraining", "created_at": "2026-11-29T12:00:00Z",
    "status": "waiting", "status_reason": "Waiting for resources: no agent has enough free GPUs.",
    "endpoints": {}, "main_endpoint": None, "tasks": []}


class Deployment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DEPLOYMENT_EXAMPLE]})

    id: str
    owner: str = Field(description="The owner key (a digest of the owner's issuer and subject).")
    owner_name: str | None = Field(
        None, description="The owner's name as their token gave it at creation (name, else "
        "username, else e-mail), for administrators' lists; null for older deployments.")
    module: str | None = None
    image: str
    service: ServiceKind
    hardware: HardwareView
    description: str = ""
    created_at: datetime | None = None
    status: DeploymentStatus
    status_reason: str = Field("", description="A sentence: why it waits, fails or is unhealthy.")
    endpoints: dict[str, str] = Field(
        default_factory=dict,
        description="Public URL per named port (api, monitor, ide) once the load balancer has one.")
    main_endpoint: str | None = Field(None, description="The endpoint of the chosen service.")
    tasks: list[Task] = Field(default_factory=list)


class HardwareChange(Strict):
    """Only the amounts that change; the others stay as they are."""

    cpus: float | None = Field(None, gt=0, le=256)
    memory: int | None = Field(None, ge=128, le=1024 * 1024)
    disk: int | None = Field(None, ge=0, le=10 * 1024 * 1024)
    gpus: int | None = Field(None, ge=0, le=16, strict=True)


class DeploymentChange(Strict):
    """``PATCH /v1/deployments/{id}``: what may change on a running deployment.

    Checked against the same bounds and quota as a new deployment; ``env`` replaces the whole
    environment the user set (storage and notebook settings stay).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"hardware": {"gpus": 1}}, {"env": {"EPOCHS": "20"}},
                     {"description": "retraining with more memory", "hardware": {"memory": 16384}}]})

    hardware: HardwareChange | None = None
    env: dict[str, str] | None = Field(None, max_length=100)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str] | None) -> dict[str, str] | None:
        return None if env is None else check_env(env)
