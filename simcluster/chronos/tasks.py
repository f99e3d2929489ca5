"""Chronos task ids and what a job becomes on Mesos (``TaskUtils``, ``MesosTaskBuilder``)."""

from __future__ import annotations

import contextlib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from simcluster.chronos.job import Job
from simcluster.chronos.options import ChronosOptions
from simcluster.mesos import Resources, TaskSpec

_TASK_ID = re.compile(r"ct:(\d+):(\d+):([\w\.-]+):?(.*)?", re.ASCII | re.DOTALL)


@dataclass(frozen=True)
class ChronosTaskId:
    due_millis: int
    attempt: int
    job_name: str
    args: str = ""

    def __str__(self) -> str:
        return f"ct:{self.due_millis}:{self.attempt}:{self.job_name}:{self.args}"

    def retry(self) -> ChronosTaskId:
        return ChronosTaskId(self.due_millis, self.attempt + 1, self.job_name, self.args)


def parse_task_id(task_id: str) -> ChronosTaskId | None:
    match = _TASK_ID.fullmatch(task_id)
    if match is None:
        return None
    return ChronosTaskId(int(match.group(1)), int(match.group(2)), match.group(3), match.group(4) or "")


def task_arguments(job: Job, override: str | None) -> str:
    """``?arguments=`` wins over the job's own ``arguments``; ``;`` is always stripped."""
    raw = override if override is not None else " ".join(job.arguments)
    return raw.replace(";", "")


def needed_resources(job: Job, options: ChronosOptions) -> Resources:
    # Values <= 0 are stored but offers and TaskInfo fall back to the flag defaults.
    gpus = 0
    if options.gpu_build:
        gpus = job.gpus if job.gpus > 0 else options.mesos_task_gpu
    return Resources(
        cpus=job.cpus if job.cpus > 0 else options.mesos_task_cpu,
        mem=job.mem if job.mem > 0 else options.mesos_task_mem,
        disk=job.disk if job.disk > 0 else options.mesos_task_disk,
        gpus=max(gpus, 0),
    )


def task_spec(job: Job, task_id: ChronosTaskId, options: ChronosOptions, host: str) -> TaskSpec:
    resources = needed_resources(job, options)
    command = job.command
    if command.startswith(("http", "ftp")):
        # The URI is fetched into the sandbox and run from there.
        command = "./" + posixpath.basename(command)
    if task_id.args:
        command = f"{command} {task_id.args}"
    env = {name: value for name, value in job.environment_variables}
    env.update(_builtin_env(job, task_id, resources, options, host))
    return TaskSpec(
        name=f"ChronosTask:{job.name}",
        resources=resources,
        command=command,
        args=job.arguments,
        env=env,
        image=job.container.image if job.container is not None else None,
        kind="batch",
    )


def fetched_uris(job: Job) -> list[str]:
    uris = [f.uri for f in job.fetch] or list(job.uris)
    if job.command.startswith(("http", "ftp")):
        uris.append(job.command)
    return uris


def log_fetches(job: Job, sandbox: Path) -> None:
    """The Mesos fetcher's lines in the sandbox: the simulated agent downloads nothing."""
    uris = fetched_uris(job)
    if not uris:
        return
    with contextlib.suppress(OSError), (sandbox / "stderr").open("a", encoding="utf-8") as err:
        for uri in uris:
            err.write(f"I0000 fetcher.cpp] Fetching URI '{uri}'\n")
            err.write(f"I0000 fetcher.cpp] Fetched '{uri}' to '{sandbox}'\n")


def _builtin_env(
    job: Job, task_id: ChronosTaskId, resources: Resources, options: ChronosOptions, host: str
) -> dict[str, str]:
    # Set after the user's variables: a job cannot override these names.
    env = {
        "mesos_task_id": str(task_id),
        "MESOS_TASK_ID": str(task_id),
        "CHRONOS_JOB_OWNER": job.owner,
        "CHRONOS_JOB_NAME": job.name,
        "HOST": host,
        "CHRONOS_RESOURCE_MEM": _java_double(resources.mem),
        "CHRONOS_RESOURCE_CPU": _java_double(resources.cpus),
        "CHRONOS_RESOURCE_DISK": _java_double(resources.disk),
    }
    if options.gpu_build:
        env["CHRONOS_RESOURCE_GPU"] = str(resources.gpus)
    env["CHRONOS_JOB_RUN_TIME"] = str(task_id.due_millis)
    env["CHRONOS_JOB_RUN_ATTEMPT"] = str(task_id.attempt)
    return env


def _java_double(value: float) -> str:
    return repr(float(value))
