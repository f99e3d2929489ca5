"""The operators' job template (``job_specs/jobs.yaml``): Chronos fields, retries, constraints.

Validated at start, so a constraint operator Chronos would silently drop, or a retry default
above the maximum, stops the gateway with the file and field named instead of misbehaving.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ConstraintOperator = Literal["EQUALS", "LIKE", "UNLIKE"]
_ATTRIBUTE = re.compile(r"^[A-Za-z0-9_.-]+$")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Data):
    default: int = Field(2, ge=0, le=10)
    max: int = Field(5, ge=0, le=10)

    @model_validator(mode="after")
    def _default_within_max(self) -> RetryPolicy:
        if self.default > self.max:
            raise ValueError("default is above max")
        return self


class ChronosDefaults(_Data):
    shell: Literal[True] = True  # the gateway quotes arguments for a shell; nothing else works
    concurrent: bool = False
    highPriority: bool = False  # Chronos field names, as sent
    softError: bool = False
    runAsUser: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_-]{0,31}$")


class ContainerDefaults(_Data):
    force_pull_image: bool = False


Constraint = tuple[str, ConstraintOperator, str]


def _check_constraints(constraints: tuple[Constraint, ...]) -> tuple[Constraint, ...]:
    for attribute, operator, value in constraints:
        if not _ATTRIBUTE.match(attribute):
            raise ValueError(f"attribute {attribute!r} is not a Mesos attribute name")
        if operator != "EQUALS":
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a regular expression ({exc})") from None
    return constraints


class ConstraintSets(_Data):
    cpu: tuple[Constraint, ...] = ()
    gpu: tuple[Constraint, ...] = ()

    @field_validator("cpu", "gpu")
    @classmethod
    def _valid(cls, constraints: tuple[Constraint, ...]) -> tuple[Constraint, ...]:
        return _check_constraints(constraints)

    def for_gpus(self, gpus: int) -> tuple[Constraint, ...]:
        return self.gpu if gpus > 0 else self.cpu


class JobTemplates(_Data):
    retries: RetryPolicy = Field(default_factory=RetryPolicy)
    chronos: ChronosDefaults = Field(default_factory=ChronosDefaults)
    container: ContainerDefaults = Field(default_factory=ContainerDefaults)
    constraints: ConstraintSets = Field(default_factory=ConstraintSets)

    def chronos_fields(self) -> dict[str, Any]:
        return self.chronos.model_dump(exclude_none=True)

