"""A scheduler's HTTP port in its simplest form, for failure modes the simulation does not play."""

from __future__ import annotations

import asyncio


class StandIn:
    """Answers every HTTP request with 200 and an empty app list; ``crash`` closes the port."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self.port = 0
        self.posts = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def crash(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        self.posts += head.startswith(b"POST")
        body = b'{"apps": []}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()
