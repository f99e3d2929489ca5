"""One plain-text streaming response for a task's log, shared by deployment and job logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

from gateway.errors import GatewayError
from gateway.sandbox_logs import TaskLog


def log_response(log: TaskLog, *, task_id_header: str) -> StreamingResponse:
    """The log's head now, then (when following) the rest until it ends or fails."""

    async def body() -> AsyncIterator[bytes]:
        yield log.head
        if log.rest is None:
            return
        try:
            async for chunk in log.rest:
                yield chunk
        except GatewayError as exc:
            # The status line is long gone: say in the stream why it stops (e.g. agent lost).
            yield f"\n[gateway] the log stream stopped: {exc.detail}\n".encode()

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8",
                             headers={task_id_header: log.task_id, "Cache-Control": "no-store"})
