"""The access log, cheaply: a line per request, one write per few milliseconds.

At thousands of requests a second the access log was most of the price of a cached list:

* writing each line as it comes costs a system call per request. Each line is formatted when
  its request ends (so it says what happened then) and the lines of the next
  ``BATCH_SECONDS`` are written together by the event loop; outside a running loop (start-up,
  shutdown) a line is written at once, and ``flush`` (called by logging at exit) writes the rest;
* uvicorn's formatter copies each record and looks the status phrase up in an enum; this one
  writes the same line (uncoloured, as for a file or journald) from a table;
* logging looks up, for every record, the caller's frame, thread and process, which no line
  of ours prints: ``lean_logging`` turns that off, as the logging HOWTO's "Optimization" says.
"""

from __future__ import annotations

import asyncio
import copy
import http
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


_PHRASES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}


class AccessLineFormatter(logging.Formatter):
    """uvicorn's access line: ``INFO:     <client> - "<method> <path> HTTP/<v>" <status>``."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            client, method, path, version, status = record.args  # type: ignore[misc]
        except (TypeError, ValueError):
            return super().format(record)
        level = f"{record.levelname}:".ljust(9)
        return (f'{level} {client} - "{method} {path} HTTP/{version}" '
                f"{_PHRASES.get(status, status) if isinstance(status, int) else status}")


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the access log made cheap (see above)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"] = {"()": f"{__name__}.AccessLineFormatter"}
    config["handlers"]["access"]["class"] = f"{__name__}.BatchedStreamHandler"
    return config


def lean_logging() -> None:
    """No caller frame, thread or process names looked up per record (none is printed)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
