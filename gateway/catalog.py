"""The shapes of the operator data in ``job_specs/``: service templates and the module catalog.

Pure data and validation (pydantic models, so a broken file is refused at start with the field
that is wrong); reading the files is gateway/catalog_files.py's job.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from gateway.models import Hardware, ModuleName, ServiceKind


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


class ImageTags(_Data):
    cpu: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    gpu: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class HardwareMinimum(_Data):
    """What a module needs at least to work at all (e.g. a model that only fits in 8 GiB)."""

    cpus: float = Field(0, ge=0)
    memory: int = Field(0, ge=0)
    disk: int = Field(0, ge=0)
    gpus: int = Field(0, ge=0)


class HardwareRange(_Data):
    default: Hardware
    max: Hardware
    min: HardwareMinimum = Field(default_factory=HardwareMinimum)

    @model_validator(mode="after")
    def _default_within_range(self) -> HardwareRange:
        for name in ("cpus", "memory", "disk", "gpus"):
            if getattr(self.default, name) > getattr(self.max, name):
                raise ValueError(f"default {name} is above max {name}")
            if getattr(self.default, name) < getattr(self.min, name):
                raise ValueError(f"default {name} is below min {name}")
        return self


class RawImagePolicy(_Data):
    # A prefix ends with "/" so "deephdc/" never admits "deephdc-evil/...".
    allowed_prefixes: tuple[Annotated[str, StringConstraints(pattern=r"^\S+/$")], ...] = ()
    hardware: HardwareRange

    def allows(self, image: str) -> bool:
        return any(image.startswith(prefix) for prefix in self.allowed_prefixes)


class Module(_Data):
    name: ModuleName
    title: str
    description: str = ""
    image: str = Field(pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$")
    tags: ImageTags
    services: tuple[ServiceKind, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    hardware: HardwareRange

    def image_for(self, gpus: int) -> str:
        return f"{self.image}:{self.tags.gpu if gpus > 0 else self.tags.cpu}"

    def within(self, limits: Hardware | None) -> Module:
        """This module as users may deploy it: its ranges cut down to the operators' limits."""
        if limits is None:
            return self

        def cap(hardware: Hardware) -> Hardware:
            return hardware.model_copy(update={
                name: min(getattr(hardware, name), getattr(limits, name))
                for name in ("cpus", "memory", "disk", "gpus")})

        # Not re-validated: limits below the module's minimum leave a range no request can
        # meet (deploying it is a 422), which the catalog shows rather than failing to list.
        return self.model_copy(update={"hardware": HardwareRange.model_construct(
            default=cap(self.hardware.default), max=cap(self.hardware.max),
            min=self.hardware.min)})


class ModuleCatalog(_Data):
    modules: tuple[Module, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> ModuleCatalog:
        names = [m.name for m in self.modules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate module names: {duplicates}")
        return self

    def get(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)

    def unknown_module(self, name: str) -> str:
        """The sentence for a name not in the catalog, with the closest name when one is near."""
        close = difflib.get_close_matches(name, [m.name for m in self.modules], n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"There is no module {name!r} in the catalog.{hint} GET /v1/modules lists them."


class ServiceTemplates(_Data):
    ports: tuple[str, ...] = Field(min_length=1)
    services: dict[ServiceKind, ServiceTemplate]
    app: AppDefaults = Field(default_factory=AppDefaults)
    raw_images: RawImagePolicy
    # The operators' ceiling for any one deployment, whatever a module's own maximum says.
    limits: Hardware | None = None

    @model_validator(mode="after")
    def _main_ports_exist(self) -> ServiceTemplates:
        for kind, service in self.services.items():
            if service.main_port not in self.ports:
                raise ValueError(f"service {kind}: main_port {service.main_port!r} is not in ports")
        if len(set(self.ports)) != len(self.ports):
            raise ValueError("port names must be unique")
        return self
