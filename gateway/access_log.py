"""The access line: one per request, with the method, the path (never the query string, where
tokens offered in the URL would be), the status, the client, the duration and the request id.

Each is a log record of ``gateway.access``, except where ``gateway serve`` writes JSON lines in
batches (gateway/log_setup.py): there the batch takes the line without a record. At thousands of
requests a second, making a ``logging.LogRecord`` and passing it through logger and handler was
measured at over a third of the cost of a list answered from memory (bench/read_path.py); the
batch writes the very JSON object python-json-logger writes for the record (a test holds the two
to one shape), and ``gateway.access`` at WARNING silences both alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

NAME = "gateway.access"
logger = logging.getLogger(NAME)


class AccessEntry(NamedTuple):
    created: float  # time.time() when the request ended
    method: str
    path: str
    status: int
    client: str | None
    seconds: float
    request_id: str

    @property
    def message(self) -> str:
        return f"{self.method} {self.path} {self.status}"

    def fields(self) -> dict[str, Any]:
        """The line's own fields, as a record's ``extra``."""
        return {"method": self.method, "path": self.path, "status": self.status,
                "client": self.client, "duration_ms": round(self.seconds * 1000, 1),
                "request_id": self.request_id}


AccessWriter = Callable[[AccessEntry], None]
# The handler that takes entries, and how; used while it is the root logger's only handler.
_writer: tuple[list[logging.Handler], AccessWriter] | None = None


def write_access_lines_with(handler: logging.Handler, writer: AccessWriter | None) -> None:
    """While ``handler`` is the root logger's only handler, hand access lines to ``writer``
    instead of logging a record each (None: records)."""
    global _writer
    _writer = ([handler], writer) if writer is not None else None


def log_access(method: str, path: str, status: int, client: str | None, seconds: float,
               request_id: str) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    entry = AccessEntry(time.time(), method, path, status, client, seconds, request_id)
    writer = _writer
    if writer is not None and logging.root.handlers == writer[0]:
        writer[1](entry)
    else:
        logger.info("%s", entry.message, extra=entry.fields())
