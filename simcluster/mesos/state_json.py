"""Mesos JSON writers: resources, tasks, agents, frameworks, MasterInfo (real field names)."""

from __future__ import annotations

import socket
import struct
from typing import Any

from simcluster.mesos.model import Agent, Framework, Task
from simcluster.mesos.resources import Resources

JSON = dict[str, Any]


def ranges_text(ports: list[int] | tuple[int, int]) -> str:
    """Mesos' text form of a ranges resource, e.g. ``[31000-31001, 31005-31005]``."""
    if isinstance(ports, tuple):
        return f"[{ports[0]}-{ports[1]}]"
    spans: list[list[int]] = []
    for port in sorted(ports):
        if spans and port == spans[-1][1] + 1:
            spans[-1][1] = port
        else:
            spans.append([port, port])
    return "[" + ", ".join(f"{a}-{b}" for a, b in spans) + "]"


def resources_json(resources: Resources, ports: str | None = None) -> JSON:
    out: JSON = {
        "disk": float(resources.disk),
        "mem": float(resources.mem),
        "gpus": float(resources.gpus),
        "cpus": float(resources.cpus),
    }
    if ports is not None:
        out["ports"] = ports
    return out


def task_json(task: Task) -> JSON:
    out: JSON = {
        "id": task.task_id,
        "name": task.spec.name,
        "framework_id": task.framework_id,
        "executor_id": "",
        "slave_id": task.agent_id,
        "agent_id": task.agent_id,
        "state": task.state.value,
        "resources": resources_json(
            task.spec.resources, ranges_text(task.ports) if task.ports else None
        ),
        "role": "*",
        "statuses": [
            {
                "state": status.state.value,
                "timestamp": status.timestamp,
                **({"healthy": status.healthy} if status.healthy is not None else {}),
                "container_status": {
                    "container_id": {"value": task.container_id},
                    "network_infos": [
                        {"ip_addresses": [{"protocol": "IPv4", "ip_address": task.hostname}]}
                    ],
                },
            }
            for status in task.statuses
        ],
    }
    if task.spec.labels:
        out["labels"] = [{"key": k, "value": v} for k, v in task.spec.labels.items()]
    if task.spec.image:
        out["container"] = {
            "type": "MESOS",
            "mesos": {"image": {"type": "DOCKER", "docker": {"name": task.spec.image}}},
        }
    return out


def agent_json(agent: Agent, version: str) -> JSON:
    total = resources_json(agent.total, ranges_text(agent.port_range))
    used_ports = ranges_text(sorted(agent.used_ports)) if agent.used_ports else None
    return {
        "id": agent.agent_id,
        "hostname": agent.hostname,
        "port": agent.port,
        "pid": agent.pid,
        "registered_time": agent.registered_at,
        "resources": total,
        "used_resources": resources_json(agent.used, used_ports),
        "offered_resources": resources_json(Resources()),
        "reserved_resources": {},
        "unreserved_resources": total,
        "attributes": dict(agent.attributes),
        "active": True,
        "deactivated": False,
        "version": version,
        "capabilities": ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"],
    }


def framework_json(framework: Framework, tasks: list[Task], completed: list[Task]) -> JSON:
    used = Resources()
    for task in tasks:
        used = used + task.spec.resources
    return {
        "id": framework.framework_id,
        "name": framework.name,
        "pid": f"scheduler-{framework.framework_id[-8:]}@{framework.hostname}",
        "used_resources": resources_json(used),
        "offered_resources": resources_json(Resources()),
        "capabilities": sorted(framework.capabilities),
        "hostname": framework.hostname,
        "webui_url": framework.webui_url,
        "active": framework.active,
        "connected": framework.active,
        "recovered": False,
        "role": framework.role,
        "user": framework.user,
        "failover_timeout": framework.failover_timeout,
        "checkpoint": True,
        "registered_time": framework.registered_at,
        "unregistered_time": framework.unregistered_at or 0,
        "resources": resources_json(used),
        "tasks": [task_json(t) for t in tasks],
        "unreachable_tasks": [],
        "completed_tasks": [task_json(t) for t in completed],
        "offers": [],
        "executors": [],
    }


def master_info(master_id: str, hostname: str, port: int, version: str) -> JSON:
    """MasterInfo as Mesos stringifies it into ZooKeeper and ``leader_info``; ``ip`` is the
    IPv4 address as a network-order uint32 read on a little-endian host."""
    ip_text = socket.gethostbyname(hostname)
    (ip_number,) = struct.unpack("<I", socket.inet_aton(ip_text))
    return {
        "id": master_id,
        "ip": ip_number,
        "port": port,
        "pid": f"master@{ip_text}:{port}",
        "hostname": hostname,
        "version": version,
        "address": {"hostname": hostname, "ip": ip_text, "port": port},
        "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "AGENT_DRAINING"}],
    }
