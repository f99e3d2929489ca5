"""Batch job request and response shapes (the contract in DESIGN.md). Pure pydantic, no I/O."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from gateway.models.common import (
    EnvValue,
    Hardware,
    HardwareView,
    ModuleName,
    Storage,
    check_env,
    check_image,
)
from gateway.models.schedules import EARLIEST_START, ScheduleError, check_zone, parse_schedule

# "unknown": the job as Chronos stores it cannot be read (status_reason says why).
JobStatus = Literal["scheduled", "queued", "running", "succeeded", "failed", "disabled", "unknown"]
RunState = Literal["staging", "running", "succeeded", "failed", "killed", "lost", "error"]

# Chronos allows [A-Za-z0-9_.-]; a leading letter or digit keeps names readable in the CLI, and
# the "gw-" prefix is how full job ids start, so a bare name never looks like one.
# Always used with fullmatch: a "$" would let a trailing newline through.
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
JobName = Annotated[str, StringConstraints(pattern=rf"^{JOB_NAME.pattern}$")]
MAX_PARENTS = 20
MAX_FETCH = 20

_REQUEST_EXAMPLES: list[JsonValue] = [
    {"name": "prepare-data", "image": "deephdc/deep-oc-generic-dev:cpu",
     "command": "python prepare.py", "args": ["--input", "/srv/data/raw"],
     "hardware": {"cpus": 2, "memory": 4096, "gpus": 0}},
    {"name": "train-nightly", "module": "image-classification-tf",
     "command": "python train.py", "args": ["--epochs", "10"],
     "hardware": {"cpus": 4, "memory": 16384, "gpus": 1},
     "schedule": "R/2026-12-01T02:00:00Z/P1D", "timezone": "Europe/Madrid", "retries": 2,
     "env": {"EPOCHS": "10"},
     "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                 "rclone_vendor": "nextcloud", "rclone_user": "DEEP-IAM-0123",
                 "rclone_password": "app-password-from-nextcloud"},
     "fetch": ["https://example.org/data.tgz"], "description": "plant classifier, nightly"},
    {"name": "evaluate", "module": "image-classification-tf", "command": "python evaluate.py",
     "parents": ["train-nightly"]},
]


class JobRequest(BaseModel):
    """A batch job: run once now, on an ISO 8601 schedule, or after parent jobs."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": _REQUEST_EXAMPLES})

    name: JobName = Field(description="Unique among your jobs; letters, digits, _ . -")
    module: ModuleName | None = Field(None, description="A catalog module name (or give `image`).")
    image: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        None, description="A Docker image from an allowed registry, instead of a module.")
    command: Annotated[str, StringConstraints(min_length=1, max_length=8192)] = Field(
        description="Run by /bin/sh -c inside the container.")
    args: list[Annotated[str, StringConstraints(max_length=4096)]] = Field(
        default_factory=list, max_length=100,
        description="Appended to the command, each one shell-quoted.")
    hardware: Hardware = Field(
        default_factory=Hardware,
        description="Resources; each field left out takes the module's default. GPUs only where "
                    "the cluster's Chronos supports them.")
    timezone: str | None = Field(
        None, description="IANA zone in which the schedule's wall-clock start is read "
                          "(default UTC, when the start's own offset counts).")
    schedule: str | None = Field(
        None, description="ISO 8601 repeating interval R[n]/<start>/<period>, e.g. "
                          "R/2026-12-01T02:00:00Z/P1D; an empty start means now. Neither a "
                          "schedule nor parents: run once, now.")
    parents: list[JobName] = Field(
        default_factory=list, max_length=MAX_PARENTS,
        description="Names of your jobs after whose success this one runs (instead of a schedule).")
    retries: int | None = Field(None, ge=0, le=10, strict=True,
                                description="Attempts after a failed run (default from the operators).")
    env: dict[str, EnvValue] = Field(
        default_factory=dict, max_length=100,
        description="Extra environment variables (shell names; some are reserved for the "
                    "gateway and the schedulers). Values are text; a number or boolean is taken "
                    "as its text (10 as \"10\", true as \"true\").")
    storage: Storage | None = Field(None, description="Remote storage the task reaches with rclone.")
    fetch: list[Annotated[str, StringConstraints(max_length=2048)]] = Field(
        default_factory=list, max_length=MAX_FETCH,
        description="https:// URLs the task's sandbox downloads (archives are extracted).")
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    disabled: bool = Field(False, description="Keep the job but do not schedule it.")

    @field_validator("name")
    @classmethod
    def _not_an_id(cls, name: str) -> str:
        if name.lower().startswith("gw-"):
            raise ValueError("names starting with 'gw-' are reserved for job ids")
        return name

    @field_validator("image")
    @classmethod
    def _docker_reference(cls, image: str | None) -> str | None:
        return check_image(image)

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        return check_env(env)

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            try:
                check_zone(zone)
            except ScheduleError as exc:
                raise ValueError(str(exc)) from None
        return zone

    @field_validator("schedule")
    @classmethod
    def _iso8601_schedule(cls, schedule: str | None, info: ValidationInfo) -> str | None:
        # Syntax only; the start is checked against the clock when the job is translated.
        if schedule is not None:
            try:
                parse_schedule(schedule, info.data.get("timezone"), EARLIEST_START)
            except ScheduleError as exc:
                raise ValueError(str(exc)) from None
        return schedule

    @field_validator("parents")
    @classmethod
    def _parents_without_schedule(cls, parents: list[str], info: ValidationInfo) -> list[str]:
        if parents and info.data.get("schedule"):
            raise ValueError("a job runs either on a schedule or after parents, not both")
        if len(set(parents)) != len(parents):
            raise ValueError("each parent may be named once")
        if info.data.get("name") in parents:
            raise ValueError("a job cannot be its own parent")
        return parents

    @field_validator("fetch")
    @classmethod
    def _https_only(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
                raise ValueError(f"{url!r} is not an https:// URL")
            if parts.username or parts.password:
                raise ValueError("URLs must not carry credentials (they would be shown to anyone "
                                 "who can read the job)")
        return urls


class StorageView(BaseModel):
    """The storage a job uses, without its password."""

    rclone_url: str
    rclone_vendor: str
    rclone_user: str


class Run(BaseModel):
    """One attempt of a job: a Mesos task of the Chronos framework."""

    id: str = Field(description="The Mesos task id (ct:<due>:<attempt>:<job>:).")
    attempt: int = Field(description="0 for the first try, then one per retry.")
    due_at: datetime | None = Field(None, description="When Chronos meant it to run.")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    state: RunState
    mesos_state: str = Field(description="The Mesos task state, e.g. TASK_FINISHED.")
    host: str | None = None
    message: str = Field("", description="Why it ended, when Mesos says (e.g. a container error).")


class Job(BaseModel):
    id: str = Field(description="Stable id (gw-<owner>-<name>); your own jobs also answer to "
                                "their bare name in the routes.")
    name: str
    owner: str = Field(description="The owner key (a digest of the owner's issuer and subject).")
    owner_name: str | None = Field(
        None, description="The owner's name as their token gave it at submission (name, else "
        "username, else e-mail), for administrators' lists; null for older jobs.")
    module: str | None = None
    image: str | None = None
    command: str
    args: list[str] = Field(default_factory=list)
    hardware: HardwareView
    schedule: str | None = Field(None, description="As Chronos keeps it: the start moves to the "
                                                     "next run after every launch.")
    timezone: str | None = None
    parents: list[str] = Field(default_factory=list)
    retries: int = 0
    env: dict[str, str] = Field(default_factory=dict, description="Your variables only.")
    storage: StorageView | None = None
    fetch: list[str] = Field(default_factory=list)
    description: str = ""
    disabled: bool = False
    created_at: datetime | None = None
    status: JobStatus
    status_reason: str = Field("", description="A sentence explaining the status.")
    next_run: datetime | None = Field(None, description="Computed from the schedule and its zone; "
                                                         "in the past: due now.")
    success_count: int = 0
    error_count: int = 0
    last_success: datetime | None = None
    last_error: datetime | None = None
    runs: list[Run] = Field(default_factory=list,
                            description="Newest first, as far back as the Mesos master remembers "
                                        "(only in the single-job view).")


class JobChange(BaseModel):
    """``PATCH /v1/jobs/{id}``: the submit fields to change (a job's name is its key and stays).

    The job with the change applied is validated as a new job would be; ``hardware`` may name
    only the amounts that change, ``env`` replaces the whole environment, ``storage: null``
    removes the storage. A job cannot switch between running after parents and the others.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"disabled": True}, {"disabled": False},
        {"schedule": "R/2026-12-01T03:00:00Z/P1D", "timezone": "Europe/Madrid"},
        {"command": "python train.py", "args": ["--epochs", "20"], "hardware": {"gpus": 1}}]})

    module: str | None = None
    image: str | None = None
    command: str | None = None
    args: list[str] | None = None
    hardware: dict[str, JsonValue] | None = None
    timezone: str | None = None
    schedule: str | None = None
    parents: list[str] | None = None
    retries: int | None = None
    env: dict[str, str] | None = None
    storage: dict[str, JsonValue] | None = None
    fetch: list[str] | None = None
    description: str | None = None
    disabled: bool | None = None
