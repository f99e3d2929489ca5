"""The API's request and response shapes. Pure pydantic, no I/O."""

from gateway.models.common import (
    ENV_NAME,
    Hardware,
    ModuleName,
    Page,
    ServiceKind,
    Storage,
    Strict,
    check_env,
    check_image,
)
from gateway.models.deployments import (
    Deployment,
    DeploymentRequest,
    DeploymentStatus,
    LogStream,
    Task,
)

__all__ = [
    "ENV_NAME",
    "Deployment",
    "DeploymentRequest",
    "DeploymentStatus",
    "Hardware",
    "LogStream",
    "ModuleName",
    "Page",
    "ServiceKind",
    "Storage",
    "Strict",
    "Task",
    "check_env",
    "check_image",
]
