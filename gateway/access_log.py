"""The access log, written in batches: a line per request, one write per few milliseconds.

Writing each line as it comes costs a system call per request, which at thousands of requests
a second is most of the price of a cached list. Each line is formatted when its request ends
(so it says what happened then) and the lines of the next ``BATCH_SECONDS`` are written
together by the event loop; outside a running loop (start-up, shutdown) a line is written at
once, and ``flush`` (called by logging at exit) writes what is left.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import TYPE_CHECKING, Any, TextIO

BATCH_SECONDS = 0.05

if TYPE_CHECKING:
    _StreamHandler = logging.StreamHandler[TextIO]
else:
    _StreamHandler = logging.StreamHandler


class BatchedStreamHandler(_StreamHandler):
    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._scheduled = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_later(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        self._scheduled = False
        lines, self._lines = self._lines, []
        if lines and self.stream is not None:
            self.stream.write("".join(lines))
        super().flush()


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the access log written in batches."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["class"] = f"{__name__}.BatchedStreamHandler"
    return config
