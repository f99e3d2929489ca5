"""Where log records go: one JSON object per line (``gateway serve``) or readable text (dev).

JSON lines come from python-json-logger (its orjson formatter): the message, level, logger, time,
the request id and any ``extra`` fields of the record (the access and audit lines carry theirs
that way).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from gateway.access_log import NAME as ACCESS_LOGGER
from gateway.access_log import AccessEntry, write_access_lines_with
from gateway.request_context import RequestIdLogFilter

LogFormat = Literal["json", "text"]

# Chatty libraries: their INFO lines (one per HTTP call, per ZooKeeper state) say nothing an
# operator needs that the gateway's own lines do not.
_QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "kazoo": logging.WARNING}


class _JsonLines(OrjsonFormatter):
    """Writes the time of a line at whole seconds, as its format says, and so makes that text
    once a second instead of once per line: at thousands of access lines a second,
    ``time.strftime`` was a sixth of the cost of each."""

    # One attribute, replaced whole: kazoo's threads log too.
    _made: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self._time_text(record.created)

    def _time_text(self, created: float) -> str:
        second = int(created)
        made_at, text = self._made
        if second != made_at:
            text = time.strftime(self.datefmt or "%Y-%m-%dT%H:%M:%S%z", self.converter(created))
            self._made = (second, text)
        return text

    def access_line(self, entry: AccessEntry) -> str:
        """The line ``format`` makes of the access record of ``entry``, without the record."""
        return self.jsonify_log_record({
            "time": self._time_text(entry.created), "level": "INFO", "logger": ACCESS_LOGGER,
            "message": entry.message, **entry.fields()})


def json_formatter() -> _JsonLines:
    return _JsonLines("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S%z",
                         # uvicorn adds a copy of its message with terminal colours.
                         reserved_attrs=[*RESERVED_ATTRS, "color_message"])


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")


def configure_logging(kind: LogFormat, level: str | int = "INFO",
                      stream: TextIO | None = None, *, batched: bool = False) -> logging.Handler:
    """Replace the root handlers with one writing to ``stream`` (stderr) in ``kind``;
    ``batched`` (``gateway serve``): lines are written together every few milliseconds."""
    handler: logging.StreamHandler[TextIO] = (
        BatchedStreamHandler if batched else logging.StreamHandler)(stream or sys.stderr)
    formatter = json_formatter() if kind == "json" else text_formatter()
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdLogFilter())
    write_access_lines_with(handler, handler.access_writer(formatter) if isinstance(
        handler, BatchedStreamHandler) and isinstance(formatter, _JsonLines) else None)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    return handler


def lean_logging() -> None:
    """No caller frame, thread or process names looked up for every record: no line of ours
    prints them, and at thousands of access lines a second they are a real part of a request
    (the logging HOWTO's "Optimization")."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


# How long a line may wait for others to be written with it.
BATCH_SECONDS = 0.05


class BatchedStreamHandler(logging.StreamHandler[TextIO]):
    """Writes the lines of the next ``BATCH_SECONDS`` together, from the event loop: at
    thousands of requests a second a write per access line is much of a request's cost.

    Each line is formatted when it is logged (it says what happened then). Outside a running
    loop (start-up, shutdown, threads such as kazoo's) a line is written at once, after what
    waits; ``flush``, which logging also calls at exit, writes what is left.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        # Lines, and access lines still to be written out (gateway/access_log.py), in order.
        self._lines: list[str | AccessEntry] = []
        self._access_line: Callable[[AccessEntry], str] | None = None
        self._scheduled = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        self._soon()

    def access_writer(self, formatter: _JsonLines) -> Callable[[AccessEntry], None]:
        """Takes access lines from the event loop; ``formatter`` writes them with the batch."""
        self._access_line = formatter.access_line

        def write(entry: AccessEntry) -> None:
            self._lines.append(entry)
            if not self._scheduled:
                self._soon()

        return write

    def _soon(self) -> None:
        """Write soon from the event loop (at once outside one)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if not self._scheduled:
            self._scheduled = True
            loop.call_later(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created in Handler.__init__
            self._scheduled = False
            lines, self._lines = self._lines, []
            if lines:
                self.stream.write("".join(self._text(line) for line in lines))
            super().flush()

    def _text(self, line: str | AccessEntry) -> str:
        if isinstance(line, str):
            return line
        assert self._access_line is not None  # entries come only through access_writer
        return self._access_line(line) + self.terminator
