"""Operator data from ``job_specs/``: service templates (and, later, the module catalog).

The shapes are pydantic models so a broken file is refused at start with the field that is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.models import ServiceKind


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthTemplate(_Data):
    path: str = "/"


class ServiceTemplate(_Data):
    title: str
    cmd: str = Field(min_length=1)
    main_port: str
    health: HealthTemplate = Field(default_factory=HealthTemplate)


class HealthCheckDefaults(_Data):
    protocol: Literal["MESOS_HTTP", "MESOS_TCP"] = "MESOS_HTTP"
    gracePeriodSeconds: int = Field(300, ge=0)
    intervalSeconds: int = Field(30, ge=1)
    timeoutSeconds: int = Field(20, ge=1)
    maxConsecutiveFailures: int = Field(3, ge=0)
    delaySeconds: int = Field(15, ge=0)


class AppDefaults(_Data):
    model_config = ConfigDict(extra="allow", frozen=True)

    instances: Literal[1] = 1
    health_check: HealthCheckDefaults = Field(default_factory=HealthCheckDefaults)

    def marathon_fields(self) -> dict[str, Any]:
        """The plain Marathon fields (everything but the health-check template)."""
        return self.model_dump(exclude={"health_check"})


class ServiceTemplates(_Data):
    ports: tuple[str, ...] = Field(min_length=1)
    services: dict[ServiceKind, ServiceTemplate]
    app: AppDefaults = Field(default_factory=AppDefaults)

    @model_validator(mode="after")
    def _main_ports_exist(self) -> ServiceTemplates:
        for kind, service in self.services.items():
            if service.main_port not in self.ports:
                raise ValueError(f"service {kind}: main_port {service.main_port!r} is not in ports")
        if len(set(self.ports)) != len(self.ports):
            raise ValueError("port names must be unique")
        return self


class CatalogError(Exception):
    """A ``job_specs/`` file is missing or invalid; the message names the file and field."""


def load_service_templates(job_specs_dir: Path) -> ServiceTemplates:
    path = job_specs_dir / "services.yaml"
    try:
        data = yaml.safe_load(path.read_text())
        return ServiceTemplates.model_validate(data)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"{path}: {where}: {first['msg']}") from None
