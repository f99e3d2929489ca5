"""``JobSerializer``: a :class:`Job` to JSON with Chronos' exact key order (fact sheet §4.2)."""

from __future__ import annotations

from typing import Any

from simcluster.chronos.job import Container, Fetch, Job


def job_to_json(job: Job, *, gpu_build: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": job.name,
        "command": job.command,
        "shell": job.shell,
        "executor": job.executor,
        "executorFlags": job.executor_flags,
        "taskInfoData": job.task_info_data,
        "retries": job.retries,
        "owner": job.owner,
        "ownerName": job.owner_name,
        "description": job.description,
        "successCount": job.success_count,
        "errorCount": job.error_count,
        "lastSuccess": job.last_success,
        "lastError": job.last_error,
        "cpus": float(job.cpus),
        "disk": float(job.disk),
        "mem": float(job.mem),
    }
    if gpu_build:
        out["gpus"] = job.gpus
    out.update(
        {
            "disabled": job.disabled,
            "softError": job.soft_error,
            "dataProcessingJobType": job.data_processing_job_type,
            "errorsSinceLastSuccess": job.errors_since_last_success,
            "fetch": [_fetch(f) for f in job.fetch],
            "uris": list(job.uris),
            "environmentVariables": [{"name": n, "value": v} for n, v in job.environment_variables],
            "arguments": list(job.arguments),
            "highPriority": job.high_priority,
            "runAsUser": job.run_as_user,
            "concurrent": job.concurrent,
        }
    )
    if job.container is not None:
        out["container"] = _container(job.container)
    out["constraints"] = [list(c) for c in job.constraints]
    if job.parents is not None:
        out["parents"] = list(job.parents)
    else:
        out["schedule"] = job.schedule
        out["scheduleTimeZone"] = job.schedule_time_zone
    return out


def job_for_listing(job: Job, *, gpu_build: bool) -> dict[str, Any]:
    """``GET /jobs`` compatibility: ``fetch`` filled from ``uris`` when empty, else ``uris``
    rebuilt from ``fetch``."""
    out = job_to_json(job, gpu_build=gpu_build)
    if not job.fetch:
        out["fetch"] = [_fetch(Fetch(uri)) for uri in job.uris]
    else:
        out["uris"] = [f.uri for f in job.fetch]
    return out


def _fetch(fetch: Fetch) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uri": fetch.uri,
        "executable": fetch.executable,
        "cache": fetch.cache,
        "extract": fetch.extract,
    }
    if fetch.output_file:
        out["output_file"] = fetch.output_file
    return out


def _container(container: Container) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": container.type,
        "image": container.image,
        "network": container.network,
    }
    if container.network_name:
        out["networkName"] = container.network_name
    out["networkInfos"] = []
    for info in container.network_infos:
        entry: dict[str, Any] = {"name": info.name}
        if info.protocol:
            entry["protocol"] = info.protocol
        entry["labels"] = [{"key": k, "value": v} for k, v in info.labels]
        mappings = []
        for mapping in info.port_mappings:
            # Written as strings, read back with asInt.
            item: dict[str, Any] = {
                "hostPort": str(mapping.host_port),
                "containerPort": str(mapping.container_port),
            }
            if mapping.protocol:
                item["protocol"] = mapping.protocol
            mappings.append(item)
        entry["portMappings"] = mappings
        out["networkInfos"].append(entry)
    volumes = []
    for volume in container.volumes:
        item = {}
        if volume.host_path:
            item["hostPath"] = volume.host_path
        item["containerPath"] = volume.container_path
        if volume.mode:
            item["mode"] = volume.mode
        if volume.external is not None:
            item["external"] = {
                "name": volume.external.name,
                "provider": volume.external.provider,
                "options": [{"key": k, "value": v} for k, v in volume.external.options],
            }
        volumes.append(item)
    out["volumes"] = volumes
    out["forcePullImage"] = container.force_pull_image
    out["parameters"] = [{"key": k, "value": v} for k, v in container.parameters]
    return out
