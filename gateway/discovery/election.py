"""Who leads, from the children of an election node and their data. Pure: no ZooKeeper here.

Three layouts exist in the wild:

* Curator ``LeaderLatch`` (Marathon 1.5+, Chronos): children ``_c_<uuid>-latch-<seq>`` whose data
  is ``host:port``. The ``_c_<uuid>-`` prefix comes from Curator's "protection", so the sequence
  is what follows the *last* ``latch-``.
* Mesos masters: children ``json.info_<seq>`` whose data is a ``MasterInfo`` JSON document.
  The same node also holds ``log_replicas`` and, on old masters, ``info_<seq>`` in binary
  protobuf, which we cannot read and skip.
* Twitter-commons ``Group`` (Marathon before 1.5): children ``member_<seq>``, data ``host:port``.

In all three the participant with the lowest sequence number leads.
"""

from __future__ import annotations

import json
import re
import socket
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Layout = Literal["curator", "mesos", "twitter-commons"]

# A DNS name or an IPv4/IPv6 literal; anything else (a URL, spaces, a path) is not an address.
_HOST = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


@dataclass(frozen=True)
class Election:
    """Where one scheduler's instances contend, and how to read their nodes."""

    path: str
    layout: Layout


def sequence_of(layout: Layout, child: str) -> int | None:
    """The child's sequence number, or None when the child is not a contender in this layout."""
    if layout == "curator":
        marker, found = "latch-", child.rfind("latch-")
        suffix = child[found + len(marker):] if found >= 0 else ""
    elif layout == "mesos":
        suffix = child.removeprefix("json.info_") if child.startswith("json.info_") else ""
    else:
        suffix = child.removeprefix("member_") if child.startswith("member_") else ""
    # ZooKeeper always appends exactly ten digits; anything else was not made by a contender.
    return int(suffix) if len(suffix) == 10 and suffix.isdigit() else None


def leader_node(layout: Layout, children: Iterable[str]) -> str | None:
    """The name of the leading child: the contender with the lowest sequence number."""
    contenders = [(seq, child) for child in children
                  if (seq := sequence_of(layout, child)) is not None]
    return min(contenders)[1] if contenders else None


def leader_url(layout: Layout, data: bytes, scheme: str = "http") -> str | None:
    """The base URL a leader node's data points to, or None when the data cannot be read."""
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if layout == "mesos":
        address = _mesos_address(text)
        return f"{scheme}://{_host_port(*address)}" if address else None
    host, _, port_text = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    port = _port(port_text)
    if not _HOST.fullmatch(host) or port is None:
        return None
    return f"{scheme}://{_host_port(host, port)}"


def select_leader(layout: Layout, children: Iterable[str], data: Mapping[str, bytes],
                  scheme: str = "http") -> str | None:
    """The leader's URL given every child's data; None when no contender or its data is bad.

    A malformed leader node does not hand leadership to the next contender: that one is not
    leading, so talking to it would only reach a standby.
    """
    node = leader_node(layout, children)
    if node is None or node not in data:
        return None
    return leader_url(layout, data[node], scheme)


def _mesos_address(text: str) -> tuple[str, int] | None:
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    address = info.get("address")
    if isinstance(address, dict) and (port := _port(address.get("port"))):
        for host in (address.get("ip"), address.get("hostname")):
            if isinstance(host, str) and _HOST.fullmatch(host):
                return host, port
    port = _port(info.get("port"))
    if port is None:
        return None
    hostname = info.get("hostname")
    if isinstance(hostname, str) and _HOST.fullmatch(hostname):
        return hostname, port
    ip = info.get("ip")
    if isinstance(ip, int) and not isinstance(ip, bool) and 0 < ip < 2**32:
        # Mesos stores the IPv4 address in network order in a little-endian uint32.
        return socket.inet_ntoa(struct.pack("<I", ip)), port
    return None


def _port(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return value
    return None


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
