"""Scheduler instances as ZooKeeper sees them: one session each, nodes made as the real ones make them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from kazoo.client import KazooClient


class Contender:
    """One Marathon, Chronos or Mesos master process: closing it ends its session and its nodes."""

    def __init__(self, hosts: str) -> None:
        self.client = KazooClient(hosts=hosts, timeout=2.0)
        self.client.start(timeout=10)

    def join_latch(self, path: str, host_port: str) -> str:
        # Curator LeaderLatch with protection: _c_<uuid>-latch-<seq>, data host:port.
        return str(self.client.create(f"{path}/_c_{uuid.uuid4()}-latch-", host_port.encode(),
                                      ephemeral=True, sequence=True, makepath=True))

    def join_masters(self, path: str, info: dict[str, Any]) -> str:
        return str(self.client.create(f"{path}/json.info_", json.dumps(info).encode(),
                                      ephemeral=True, sequence=True, makepath=True))

    def join_group(self, path: str, host_port: str) -> str:
        # Twitter-commons Group, as Marathon before 1.5 used it.
        return str(self.client.create(f"{path}/member_", host_port.encode(), ephemeral=True,
                                      sequence=True, makepath=True))

    def die(self) -> None:
        self.client.stop()
        self.client.close()


def master_info(ip: str, port: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "ip": 16777343, "port": port, "pid": f"master@{ip}:{port}",
            "hostname": "localhost", "version": "1.9.0",
            "address": {"hostname": "localhost", "ip": ip, "port": port},
            "capabilities": [{"type": "AGENT_UPDATE"}]}
