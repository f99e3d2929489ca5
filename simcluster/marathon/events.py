"""Marathon's event bus and the ``/v2/events`` server-sent event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from simcluster.clock import SimClock

# A slow reader must not make the scheduler wait; Marathon drops such subscribers too.
_QUEUE_LIMIT = 1000


class EventBus:
    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._subscribers: set[asyncio.Queue[tuple[str, dict[str, Any]] | None]] = set()

    def publish(self, event_type: str, payload: dict[str, Any]) -> None:
        event = {**payload, "eventType": event_type, "timestamp": self._clock.iso_now()}
        for queue in list(self._subscribers):
            try:
                queue.put_nowait((event_type, event))
            except asyncio.QueueFull:
                self._end(queue)

    def close_all(self) -> None:
        """The instance lost leadership or stops: end every open stream."""
        for queue in list(self._subscribers):
            self._end(queue)

    def _end(self, queue: asyncio.Queue[tuple[str, dict[str, Any]] | None]) -> None:
        """Drop a subscriber: its stream ends, also when its queue is full (what it has not
        read yet is lost, as with a closed connection)."""
        self._subscribers.discard(queue)
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)

    async def stream(self, remote: str, event_types: set[str]) -> AsyncIterator[bytes]:
        """SSE frames: ``event_stream_attached`` first, then every (selected) event."""
        queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue(_QUEUE_LIMIT)
        self._subscribers.add(queue)
        try:
            attached = {
                "remoteAddress": remote,
                "eventType": "event_stream_attached",
                "timestamp": self._clock.iso_now(),
            }
            if not event_types or "event_stream_attached" in event_types:
                yield _frame("event_stream_attached", attached)
            while True:
                item = await queue.get()
                if item is None:
                    return
                event_type, event = item
                if not event_types or event_type in event_types:
                    yield _frame(event_type, event)
        finally:
            self._subscribers.discard(queue)


def _frame(event_type: str, event: dict[str, Any]) -> bytes:
    return f"event: {event_type}\ndata: {json.dumps(event)}\n\n".encode()
