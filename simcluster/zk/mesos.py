"""A Mesos master's contender node: ``/mesos/json.info_<10 digits>`` holding MasterInfo."""

from __future__ import annotations

import json
from typing import Any

from kazoo.client import KazooClient


def register_master(zk: KazooClient, path: str, info: dict[str, Any]) -> str:
    """Blocking (kazoo). Returns the created node path."""
    data = json.dumps(info, separators=(",", ":")).encode()
    created: str = zk.create(
        f"{path.rstrip('/')}/json.info_", data, ephemeral=True, sequence=True, makepath=True
    )
    return created
