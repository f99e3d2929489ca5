"""One plain-text streaming response for a task's log, shared by deployment and job logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

from gateway.errors import GatewayError


def log_response(head: bytes, rest: AsyncIterator[bytes] | None,
                 headers: dict[str, str]) -> StreamingResponse:
    """``head`` now, then (when following) ``rest`` until it ends or fails."""

    async def body() -> AsyncIterator[bytes]:
        yield head
        if rest is None:
            return
        try:
            async for chunk in rest:
                yield chunk
        except GatewayError as exc:
            # The status line is long gone: say in the stream why it stops (e.g. agent lost).
            yield f"\n[gateway] the log stream stopped: {exc.detail}\n".encode()

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8",
                             headers={**headers, "Cache-Control": "no-store"})
