"""The ZooKeeper connection string operators write, parsed once and checked at start.

Pure, so the settings validate it; leader discovery and the quota lock connect with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

DEFAULT_PORT = 2181


@dataclass(frozen=True)
class Ensemble:
    """Servers of one ZooKeeper ensemble, an optional chroot and optional digest credentials."""

    servers: tuple[tuple[str, int], ...]
    chroot: str = ""
    digest: str | None = None

    @property
    def kazoo_hosts(self) -> str:
        # kazoo takes the chroot as a suffix of the host list and prefixes every path with it.
        hosts = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.servers)
        return hosts + self.chroot

    def describe(self) -> str:
        """The connection string without credentials, for /readyz and logs."""
        return self.kazoo_hosts


def parse_ensemble(text: str) -> Ensemble:
    """Accept ``h1:2181,h2:2181/chroot``, optionally as ``zk://[user:pass@]...`` as Mesos and
    Marathon write it. Raise ValueError with a sentence an operator can act on."""
    rest = text.strip()
    if rest.startswith("zk://"):
        rest = rest.removeprefix("zk://")
    elif "://" in rest:
        raise ValueError(f"{text!r}: only zk:// connection strings are understood")
    digest = None
    if "@" in rest:
        credentials, _, rest = rest.rpartition("@")
        user, colon, password = credentials.partition(":")
        if not user or not colon:
            raise ValueError(f"{text!r}: credentials must be user:password@")
        digest = f"{unquote(user)}:{unquote(password)}"
    hosts, slash, path = rest.partition("/")
    chroot = ("/" + path).rstrip("/") if slash else ""
    if "//" in chroot:
        raise ValueError(f"{text!r}: the chroot {chroot!r} has an empty path segment")
    servers = tuple(_server(entry.strip(), text) for entry in hosts.split(","))
    return Ensemble(servers=servers, chroot=chroot, digest=digest)


def _server(entry: str, text: str) -> tuple[str, int]:
    if not entry:
        raise ValueError(f"{text!r}: empty server in the host list")
    if entry.startswith("["):
        host, _, after = entry[1:].partition("]")
        port_text = after.removeprefix(":") if after else str(DEFAULT_PORT)
    elif entry.count(":") > 1:
        raise ValueError(f"{text!r}: write IPv6 servers as [address]:port")
    else:
        host, _, port_text = entry.partition(":")
        port_text = port_text or str(DEFAULT_PORT)
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: {entry!r} is not host:port")
    return host, int(port_text)
