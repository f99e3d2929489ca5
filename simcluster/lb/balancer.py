"""A marathon-lb stand-in: loopback listeners that forward to Marathon's healthy tasks.

Like marathon-lb, it reads the apps (``GET /v2/apps?embed=apps.tasks``) at start and again
after every event on Marathon's ``/v2/events`` stream, so a deleted app's port closes and a task
that fails its health check stops getting connections. It forwards bytes (no HTTP parsing),
except that an ``http`` frontend without a healthy task answers ``503`` as HAProxy does, and the
shared vhost frontend (``http_port``) picks the app by the first request's ``Host`` header.
A port another process holds is skipped with a warning and tried again on the next change.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging

import httpx

from simcluster.lb.frontends import Backend, Frontend, frontends_from_apps

log = logging.getLogger(__name__)

_UNAVAILABLE = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                b"Connection: close\r\nContent-Length: 36\r\n\r\n"
                b"No server is available for this app\n")
_HEAD_LIMIT = 65536
_RECONNECT_PAUSE = 0.5


class MarathonLB:
    def __init__(self, marathon_url: str, *, host: str = "127.0.0.1", group: str = "external",
                 http_port: int | None = None,
                 credentials: tuple[str, str] | None = None) -> None:
        self.marathon_url = marathon_url.rstrip("/")
        self.host = host
        self.group = group
        self.http_port = http_port
        self._http = httpx.AsyncClient(auth=credentials, timeout=httpx.Timeout(10, read=None),
                                       follow_redirects=True)
        self.frontends: dict[int, Frontend] = {}
        self._servers: dict[int, asyncio.Server] = {}
        self._vhost_server: asyncio.Server | None = None
        self._turns = itertools.count()
        self._changed = asyncio.Event()
        self.synced = asyncio.Event()  # set after each reconciliation (tests wait on it)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def ports(self) -> list[int]:
        """The ports it listens on now."""
        return sorted(self._servers)

    async def start(self) -> None:
        if self.http_port is not None:
            self._vhost_server = await asyncio.start_server(self._serve_vhost, self.host,
                                                            self.http_port)
        self._changed.set()
        self._tasks = [asyncio.create_task(self._follow_events(), name="marathon-lb events"),
                       asyncio.create_task(self._reconcile_on_change(), name="marathon-lb sync")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for server in [*self._servers.values(), *([self._vhost_server] if self._vhost_server
                                                  else [])]:
            server.close()
        self._servers.clear()
        await self._http.aclose()

    # -- following Marathon -----------------------------------------------------------------

    async def _follow_events(self) -> None:
        while True:
            try:
                async with self._http.stream("GET", f"{self.marathon_url}/v2/events",
                                             headers={"Accept": "text/event-stream"}) as stream:
                    async for line in stream.aiter_lines():
                        if line.startswith("event:"):
                            self._changed.set()  # any event may change what is served
            except httpx.HTTPError as exc:
                log.info("marathon-lb: event stream lost (%s); reconnecting", exc)
            self._changed.set()  # what happened while not listening
            await asyncio.sleep(_RECONNECT_PAUSE)

    async def _reconcile_on_change(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                response = await self._http.get(f"{self.marathon_url}/v2/apps",
                                                params={"embed": "apps.tasks"})
                response.raise_for_status()
                apps = response.json().get("apps") or []
            except (httpx.HTTPError, ValueError) as exc:
                log.info("marathon-lb: cannot read the apps (%s)", exc)
                await asyncio.sleep(_RECONNECT_PAUSE)
                self._changed.set()
                continue
            await self._reconcile(frontends_from_apps(apps, self.group))
            self.synced.set()

    async def _reconcile(self, wanted: dict[int, Frontend]) -> None:
        self.frontends = wanted
        for port in [p for p in self._servers if p not in wanted]:
            self._servers.pop(port).close()  # the app is gone: its port refuses connections
        for port in [p for p in wanted if p not in self._servers]:
            try:
                self._servers[port] = await asyncio.start_server(
                    functools.partial(self._serve_port, port), self.host, port)
            except OSError as exc:
                log.warning("marathon-lb: cannot bind %s:%s (%s)", self.host, port, exc.strerror)

    # -- forwarding -------------------------------------------------------------------------

    def _pick(self, frontend: Frontend | None) -> Backend | None:
        if frontend is None or not frontend.backends:
            return None
        return frontend.backends[next(self._turns) % len(frontend.backends)]

    async def _serve_port(self, port: int, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        frontend = self.frontends.get(port)
        await self._forward(frontend, self._pick(frontend), b"", reader, writer)

    async def _serve_vhost(self, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        host = _host_header(head[:_HEAD_LIMIT])
        frontend = next((f for f in self.frontends.values() if host in f.vhosts), None)
        await self._forward(frontend, self._pick(frontend), head, reader, writer, http=True)

    async def _forward(self, frontend: Frontend | None, backend: Backend | None, head: bytes,
                       reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       http: bool = False) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        if backend is not None:
            with contextlib.suppress(OSError):
                upstream = await asyncio.open_connection(*backend)
        if upstream is None:
            if http or (frontend is not None and frontend.mode == "http"):
                writer.write(_UNAVAILABLE)
                with contextlib.suppress(OSError):
                    await writer.drain()
            writer.close()
            return
        up_reader, up_writer = upstream
        up_writer.write(head)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for end in (up_writer, writer):
                end.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            if sink.can_write_eof():
                sink.write_eof()
            else:
                sink.close()


def _host_header(head: bytes) -> str:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"host":
            return value.strip().decode("latin-1").lower().rsplit(":", 1)[0]
    return ""
