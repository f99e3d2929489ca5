"""Servers embedded in one loop (the dev stack, the sim) answer without Nagle's delay."""

import socket

from gateway.serving import bind_socket
from simcluster.server import bind_free_socket


def test_listeners_turn_nagle_off_so_accepted_connections_inherit_it():
    # uvicorn re-wraps a given socket without its protocol number, and asyncio then skips
    # TCP_NODELAY on accepted connections: 40 ms per answer on kept-alive connections.
    for sock in (bind_socket("127.0.0.1"), bind_free_socket("127.0.0.1")):
        try:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            sock.close()


def test_a_connection_accepted_by_such_a_listener_has_nagle_off():
    listener = bind_socket("127.0.0.1")
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in (client, accepted, listener):
            sock.close()
