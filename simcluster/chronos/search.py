"""``GET /jobs/search``: case-insensitive substring matches on name, command, or any of
name/command/description/owner; no filter lists every job."""

from __future__ import annotations

from simcluster.chronos.job import Job


def search_jobs(
    jobs: list[Job], *, name: str | None, command: str | None, any_field: str | None
) -> list[Job]:
    found = []
    for job in jobs:
        fields = {
            "name": job.name.lower(),
            "command": job.command.lower(),
            "description": job.description.lower(),
            "owner": job.owner.lower(),
        }
        if name is not None and name.lower() in fields["name"]:
            found.append(job)
        elif command is not None and command.lower() in fields["command"]:
            found.append(job)
        elif any_field is not None and any(any_field.lower() in value for value in fields.values()):
            found.append(job)
        elif name is None and command is None and any_field is None:
            found.append(job)
    return found
