"""Serve an ASGI app with uvicorn on a pre-bound loopback socket inside the running loop.

Binding first lets the caller know the port before the app is built (Marathon needs its own
``host:port`` for its ZooKeeper latch node).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from simcluster.sockets import no_nagle


class _Server(uvicorn.Server):
    # Many simulated processes share one loop; none may take over the process's signals.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_free_socket(host: str, port: int = 0) -> socket.socket:
    sock = no_nagle(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class ServedApp:
    """One uvicorn server running as a task of the current loop."""

    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        self.app = app
        self._sock = sock
        self.host, self.port = sock.getsockname()[:2]
        # The simulated systems answer, not uvicorn: no "server: uvicorn" header on anything.
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False,
            timeout_graceful_shutdown=1, server_header=False,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raise the startup failure
                raise RuntimeError("server exited during startup")
            await asyncio.sleep(0.01)

    async def kill(self) -> None:
        """Stop as ``kill -9`` does: every open connection is reset and the requests in progress
        end where they are, unanswered (what they did so far stays done)."""
        if self._task is None:
            return
        for server in self._server.servers:  # not one more connection, not even for a moment
            server.close()
        state = self._server.server_state
        for task in list(state.tasks):
            task.cancel()
        for connection in list(state.connections):
            connection.transport.abort()
        await self.stop()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        # Open event streams never end by themselves; do not wait on them.
        self._server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(self._task), 3)
        if not self._task.done():
            self._task.cancel()
        self._task = None
        self._sock.close()
