"""Free loopback ports for the services tests and benches start, and port ranges for tests that
publish Marathon service ports (HAProxy, the sim's marathon-lb stand-in), so two test runs on one
machine do not both start at Marathon's 10000."""

from __future__ import annotations

import random
import socket

# Below Linux's ephemeral range (32768-60999), where outgoing connections take their ports.
_LOW, _HIGH = 20000, 32000


def free_port() -> int:
    """A loopback port free now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_range(count: int) -> int:
    """The first of ``count`` consecutive loopback ports free now, from a random place."""
    bases = list(range(_LOW, _HIGH - count, count))
    random.shuffle(bases)
    for base in bases:
        probes: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no {count} consecutive free ports in {_LOW}-{_HIGH}")
