"""One plain-text streaming response for a task's log, shared by deployment and job logs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

from gateway.errors import GatewayError
from gateway.sandbox_logs import TaskLog

DRAINING_NOTE = b"\n[gateway] this gateway is shutting down: follow the log again to go on.\n"


def log_response(log: TaskLog, *, task_id_header: str,
                 draining: asyncio.Event | None = None) -> StreamingResponse:
    """The log's head now, then (when following) the rest until it ends, fails, or the server
    drains (then the stream ends cleanly with a note, instead of being cut at the grace timeout).
    """

    async def body() -> AsyncIterator[bytes]:
        yield log.head
        if log.rest is None:
            return
        chunks = log.rest
        stopping = asyncio.ensure_future((draining or asyncio.Event()).wait())
        try:
            while True:
                following = asyncio.ensure_future(anext(chunks))
                await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not following.done():
                    following.cancel()
                    yield DRAINING_NOTE
                    return
                try:
                    chunk = following.result()
                except StopAsyncIteration:
                    return
                except GatewayError as exc:
                    # The status line is long gone: say in the stream why it stops.
                    yield f"\n[gateway] the log stream stopped: {exc.detail}\n".encode()
                    return
                yield chunk
        finally:
            stopping.cancel()

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8",
                             headers={task_id_header: log.task_id, "Cache-Control": "no-store"})
