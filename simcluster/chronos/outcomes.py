"""How a job record changes when a run ends or its parent is deleted (``JobScheduler.handle*``
and ``JobManagementResource.delete``)."""

from __future__ import annotations

import re
from dataclasses import replace

from simcluster.chronos.job import Job
from simcluster.chronos.options import ChronosOptions

_REPEAT = re.compile(r"R(\d*)/")


def after_success(job: Job, now_iso: str, *, finished_run: bool = False) -> Job:
    updated = replace(
        job,
        success_count=job.success_count + 1,
        errors_since_last_success=0,
        last_success=now_iso,
    )
    if finished_run and not job.is_dependent:
        match = _REPEAT.match(job.schedule)
        if match is not None and match.group(1) == "0":
            # The last repetition ran: Chronos switches the job off.
            updated = replace(updated, disabled=True)
    return updated


def after_failure(job: Job, now_iso: str, disable_after_failures: int) -> Job:
    updated = replace(
        job,
        error_count=job.error_count + 1,
        errors_since_last_success=job.errors_since_last_success + 1,
        last_error=now_iso,
    )
    if 0 < disable_after_failures <= updated.errors_since_last_success:
        updated = replace(updated, disabled=True)
    return updated


def orphaned_child(child: Job, parent: Job, options: ChronosOptions) -> Job:
    """A dependent of a deleted schedule-based parent is rebuilt as a schedule-based job on the
    parent's schedule from a hand-written field list: everything else (container, env,
    constraints, arguments, shell, runAsUser, concurrent, description, ownerName, gpus) is lost."""
    return Job(
        name=child.name,
        command=child.command,
        schedule=parent.schedule,
        schedule_time_zone=parent.schedule_time_zone,
        success_count=child.success_count,
        error_count=child.error_count,
        errors_since_last_success=child.errors_since_last_success,
        executor=child.executor,
        executor_flags=child.executor_flags,
        task_info_data=child.task_info_data,
        retries=child.retries,
        owner=child.owner,
        last_error=child.last_error,
        last_success=child.last_success,
        cpus=child.cpus,
        disk=child.disk,
        mem=child.mem,
        disabled=child.disabled,
        soft_error=child.soft_error,
        uris=child.uris,
        fetch=child.fetch,
        high_priority=child.high_priority,
        run_as_user=options.user,
    )
