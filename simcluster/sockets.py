"""Listening sockets for the simulated servers."""

from __future__ import annotations

import socket


def no_nagle(sock: socket.socket) -> socket.socket:
    """Turn Nagle off on a listener: accepted connections inherit TCP_NODELAY from it (Linux).

    uvicorn re-wraps a socket it is given without its protocol number, so asyncio does not set
    TCP_NODELAY on the connections it accepts; without it Nagle and delayed ACKs add ~40 ms to
    every answer on a kept-alive connection.
    """
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
