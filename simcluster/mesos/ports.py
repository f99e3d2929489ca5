"""Host-port allocation for tasks.

Every simulated agent lives on the same loopback address, so a port handed to a task on one
agent is taken for all of them. A chosen port is bound at once and the socket handed to the
task, so another program on this machine (say, a parallel test run) cannot grab it between
allocation and the task starting to listen.
"""

from __future__ import annotations

import contextlib
import socket

from simcluster.sockets import no_nagle


class PortAllocator:
    def __init__(self, host: str) -> None:
        self._host = host
        self._held: dict[int, socket.socket] = {}

    def allocate(self, port_range: tuple[int, int], count: int) -> list[int]:
        """Reserve ``count`` ports from ``port_range``; an empty list if there are not enough
        (nothing is reserved then)."""
        chosen: dict[int, socket.socket] = {}
        for port in range(port_range[0], port_range[1] + 1):
            if len(chosen) == count:
                break
            if port in self._held:
                continue
            bound = self._bind(port)
            if bound is not None:
                chosen[port] = bound
        if len(chosen) < count:
            for sock in chosen.values():
                sock.close()
            return []
        self._held.update(chosen)
        return list(chosen)

    def socket_for(self, port: int) -> socket.socket | None:
        """The bound (not yet listening) socket of a reserved port."""
        return self._held.get(port)

    def release(self, ports: list[int]) -> None:
        for port in ports:
            sock = self._held.pop(port, None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def _bind(self, port: int) -> socket.socket | None:
        sock = no_nagle(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, port))
        except OSError:
            sock.close()
            return None
        return sock
