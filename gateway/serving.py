"""Running ASGI apps on loopback sockets inside an existing event loop (dev stack and tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Generator

import uvicorn
from starlette.types import ASGIApp


def bind_socket(host: str, port: int = 0) -> socket.socket:
    """Bind now, so port 0 yields a free port that nobody can take before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn re-wraps a given socket without its protocol number, so asyncio no longer sets
    # TCP_NODELAY on accepted connections; Linux lets them inherit it from the listener instead.
    # Without it, Nagle and delayed ACKs add ~40 ms to every answer on a kept-alive connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class DrainingServer(uvicorn.Server):
    """A uvicorn server that tells the app it is draining before it waits for open requests.

    uvicorn stops accepting, then waits (up to ``timeout_graceful_shutdown``) for the requests
    in flight. A response that never ends by itself, such as a followed log, would hold it to
    that timeout and then be cut mid-stream; told first, it closes itself cleanly.
    """

    def __init__(self, config: uvicorn.Config,
                 on_draining: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_draining = on_draining

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._on_draining is not None:
            self._on_draining()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Once done, uvicorn raises again the signal that stopped it, which ends the process
        # without logging's flush at exit: log lines still waiting (a batched handler, see
        # gateway/log_setup.py) are written first.
        with super().capture_signals():
            try:
                yield
            finally:
                for handler in logging.getLogger().handlers:
                    handler.flush()


class EmbeddedServer(DrainingServer):
    """A uvicorn server that leaves signal handling to its owner, so several share one loop."""

    def __init__(self, app: ASGIApp, host: str, port: int = 0, *,
                 sock: socket.socket | None = None, log_level: str = "warning",
                 on_draining: Callable[[], None] | None = None,
                 shutdown_timeout: int | None = 5) -> None:
        super().__init__(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                        access_log=False, lifespan="on", log_config=None,
                                        timeout_graceful_shutdown=shutdown_timeout,
                                        http="httptools"),
                         on_draining)
        self._socket = sock or bind_socket(host, port)
        self._task: asyncio.Task[None] | None = None
        self.host = host
        self.port: int = self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def start(self) -> None:
        self._task = asyncio.create_task(self.serve(sockets=[self._socket]))
        while not self.started:
            if self._task.done():
                self._task.result()  # re-raise a startup failure
                raise RuntimeError("server stopped during startup")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                logging.getLogger(__name__).warning("server on %s did not stop in time", self.url)
        self._socket.close()
