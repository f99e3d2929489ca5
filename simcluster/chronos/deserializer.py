"""``JobDeserializer``: a JSON body (or a stored job) to a :class:`Job`, field by field.

Unknown fields are ignored. Failures here happen inside Jersey's body reader, so they are
:class:`UnmappedException` (Jetty's HTML 500), never an ``ApiResult``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from simcluster.chronos import jackson as j
from simcluster.chronos.job import (
    Container,
    ExternalVolume,
    Fetch,
    Job,
    NetworkInfo,
    PortMapping,
    Volume,
)
from simcluster.chronos.options import ChronosOptions
from simcluster.chronos.responses import UnmappedException
from simcluster.chronos.schedule import format_datetime

_NO_SUCH_ELEMENT = "java.util.NoSuchElementException"
_KNOWN_CONSTRAINTS = ("EQUALS", "LIKE", "UNLIKE")


def parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UnmappedException(
            "com.fasterxml.jackson.core.JsonParseException", f"Unexpected character: {error}"
        ) from error


def job_from_json(node: Any, options: ChronosOptions, now: datetime) -> Job:
    if not isinstance(node, dict):
        raise UnmappedException(j.NPE)
    name = j.as_text(j.get(node, "name"))
    parents: tuple[str, ...] | None = None
    schedule = ""
    concurrent = j.bool_or(node, "concurrent", False)
    if j.has(node, "parents"):
        parents = tuple(j.as_text(p) for p in j.elements(node["parents"]))
    elif j.has(node, "schedule"):
        schedule = j.as_text(node["schedule"])
    else:
        # No schedule and no parents: run once, now. This branch never passed `concurrent`.
        schedule = f"R1/{format_datetime(now)}/PT24H"
        concurrent = False
    return Job(
        name=name,
        command=j.text_or(node, "command", ""),
        shell=j.bool_or(node, "shell", True),
        executor=j.text_or(node, "executor", ""),
        executor_flags=j.text_or(node, "executorFlags", ""),
        task_info_data=j.text_or(node, "taskInfoData", ""),
        retries=j.as_int(node["retries"], 2) if j.has(node, "retries") else 2,
        owner=j.text_or(node, "owner", ""),
        owner_name=j.text_or(node, "ownerName", ""),
        description=j.text_or(node, "description", ""),
        success_count=j.long_or(node, "successCount", 0),
        error_count=j.long_or(node, "errorCount", 0),
        last_success=j.text_or(node, "lastSuccess", ""),
        last_error=j.text_or(node, "lastError", ""),
        cpus=_resource(node, "cpus", options.mesos_task_cpu),
        disk=_resource(node, "disk", options.mesos_task_disk),
        mem=_resource(node, "mem", options.mesos_task_mem),
        gpus=_gpus(node, options),
        disabled=j.bool_or(node, "disabled", False),
        soft_error=j.bool_or(node, "softError", False),
        data_processing_job_type=j.bool_or(node, "dataProcessingJobType", False),
        errors_since_last_success=j.long_or(node, "errorsSinceLastSuccess", 0),
        fetch=tuple(_fetch(item) for item in j.elements(j.get(node, "fetch"))),
        uris=tuple(j.as_text(uri) for uri in j.elements(j.get(node, "uris"))),
        environment_variables=tuple(
            (j.as_text(j.get(item, "name")), j.as_text(j.get(item, "value")))
            for item in j.elements(j.get(node, "environmentVariables"))
        ),
        arguments=tuple(j.as_text(arg) for arg in j.elements(j.get(node, "arguments"))),
        high_priority=j.bool_or(node, "highPriority", False),
        run_as_user=j.text_or(node, "runAsUser", options.user),
        concurrent=concurrent,
        container=_container(j.get(node, "container")),
        constraints=_constraints(j.get(node, "constraints")),
        parents=parents,
        schedule=schedule,
        schedule_time_zone=j.text_or(node, "scheduleTimeZone", ""),
    )


def _resource(node: Any, name: str, default: float) -> float:
    value = j.double_or(node, name, 0.0)
    return default if value == 0 else value


def _gpus(node: Any, options: ChronosOptions) -> int:
    if not options.gpu_build:
        return 0  # a released build has no such field: ignored like any unknown key
    # PR #810: asInt with no validation (1.5 -> 1, "2" -> 2, negatives kept); 0 -> the default.
    value = j.as_int(node["gpus"]) if j.has(node, "gpus") else 0
    return value if value != 0 else options.mesos_task_gpu


def _fetch(item: Any) -> Fetch:
    if not isinstance(item, dict):
        kind = "ArrayNode" if isinstance(item, list) else "TextNode"
        raise UnmappedException(
            "scala.MatchError", f"{json.dumps(item)} (of class com.fasterxml.jackson.databind.node.{kind})"
        )
    return Fetch(
        uri=j.as_text(j.get(item, "uri")),
        executable=j.bool_or(item, "executable", False),
        cache=j.bool_or(item, "cache", False),
        extract=j.bool_or(item, "extract", True),
        output_file=j.text_or(item, "output_file", ""),
    )


def _container(node: Any) -> Container | None:
    if not j.has(node, "image"):
        return None  # without an image the whole container is ignored
    kind = j.text_or(node, "type", "DOCKER").upper()
    if kind not in ("DOCKER", "MESOS"):
        raise UnmappedException(_NO_SUCH_ELEMENT, f"No value found for '{kind}'")
    network = j.text_or(node, "network", "HOST")
    if network not in ("BRIDGE", "HOST", "USER"):
        raise UnmappedException(_NO_SUCH_ELEMENT, f"No value found for '{network}'")
    force_pull = j.text_or(node, "forcePullImage", "false")
    if force_pull.lower() not in ("true", "false"):
        raise UnmappedException(
            "java.lang.IllegalArgumentException", f'For input string: "{force_pull}"'
        )
    return Container(
        image=j.as_text(node["image"]),
        type=kind,
        network=network,
        network_name=j.text_or(node, "networkName", ""),
        network_infos=tuple(_network_info(n) for n in j.elements(j.get(node, "networkInfos"))),
        volumes=tuple(_volume(v) for v in j.elements(j.get(node, "volumes"))),
        force_pull_image=force_pull.lower() == "true",
        parameters=_pairs(j.get(node, "parameters")),
    )


def _network_info(node: Any) -> NetworkInfo:
    protocol = j.text_or(node, "protocol", "")
    if j.has(node, "protocol") and protocol not in ("IPv4", "IPv6"):
        raise UnmappedException(_NO_SUCH_ELEMENT, f"No value found for '{protocol}'")
    mappings = tuple(
        PortMapping(
            host_port=j.as_int(j.get(m, "hostPort")),
            container_port=j.as_int(j.get(m, "containerPort")),
            protocol=j.text_or(m, "protocol", ""),
        )
        for m in j.elements(j.get(node, "portMappings"))
    )
    return NetworkInfo(
        name=j.as_text(j.get(node, "name")),
        protocol=protocol,
        labels=_pairs(j.get(node, "labels")),
        port_mappings=mappings,
    )


def _volume(node: Any) -> Volume:
    mode = j.text_or(node, "mode", "").upper()
    if j.has(node, "mode") and mode not in ("RW", "RO"):
        raise UnmappedException(_NO_SUCH_ELEMENT, f"No value found for '{mode}'")
    external = None
    if j.has(node, "external"):
        ext = node["external"]
        external = ExternalVolume(
            name=j.as_text(j.get(ext, "name")),
            provider=j.as_text(j.get(ext, "provider")),
            options=_pairs(j.get(ext, "options")),
        )
    return Volume(
        container_path=j.as_text(j.get(node, "containerPath")),
        host_path=j.text_or(node, "hostPath", ""),
        mode=mode,
        external=external,
    )


def _pairs(node: Any) -> tuple[tuple[str, str], ...]:
    return tuple(
        (j.as_text(j.get(item, "key")), j.as_text(j.get(item, "value"))) for item in j.elements(node)
    )


def _constraints(node: Any) -> tuple[tuple[str, str, str], ...]:
    kept: list[tuple[str, str, str]] = []
    for item in j.elements(node):
        fields = j.elements(item)
        if len(fields) < 3:
            raise UnmappedException(j.NPE)
        attribute, operator, value = (j.as_text(f) for f in fields[:3])
        if operator in _KNOWN_CONSTRAINTS:  # unknown operators are silently dropped
            kept.append((attribute, operator, value))
    return tuple(kept)
