"""Host-port allocation for tasks.

Every simulated agent lives on the same loopback address, so a port handed to a task on one
agent is taken for all of them, and a port some other program on this machine holds cannot
be handed out either (the task really binds it).
"""

from __future__ import annotations

import socket


class PortAllocator:
    def __init__(self, host: str) -> None:
        self._host = host
        self._taken: set[int] = set()

    def allocate(self, port_range: tuple[int, int], count: int) -> list[int]:
        """Reserve ``count`` bindable ports from ``port_range``; an empty list if there are
        not enough (nothing is reserved then)."""
        chosen: list[int] = []
        for port in range(port_range[0], port_range[1] + 1):
            if len(chosen) == count:
                break
            if port not in self._taken and self._bindable(port):
                chosen.append(port)
        if len(chosen) < count:
            return []
        self._taken.update(chosen)
        return chosen

    def release(self, ports: list[int]) -> None:
        self._taken.difference_update(ports)

    def _bindable(self, port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self._host, port))
            except OSError:
                return False
        return True
