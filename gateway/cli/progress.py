"""What ``--wait`` shows while it waits: what for, in which state, and for how long.

On a terminal one status line is rewritten in place (the elapsed time ticks); otherwise (a
script, CI, a log file) a plain line is written when the state changes, and a reminder every
minute it does not, so a log shows the wait is alive. Always on stderr: stdout is for data.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

REMINDER_SECONDS = 60.0


def duration(seconds: float) -> str:
    """12s, 3m05s, 1h02m."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


class StatusLine:
    def __init__(self, what: str, *, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._stream = stream or sys.stderr
        self._live = self._stream.isatty()
        self._clock = clock
        self._started = clock()
        self._state: str | None = None
        self._said_at = self._started
        self._drawn = False

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def update(self, state: str) -> None:
        """The state now; call it on every check, changed or not."""
        now = self._clock()
        text = f"waiting for {self.what}: {state} ({duration(self.elapsed)})"
        if self._live:
            width = shutil.get_terminal_size().columns - 1
            self._stream.write("\r\033[K" + text[:width])
            self._stream.flush()
            self._drawn = True
        elif state != self._state or now - self._said_at >= REMINDER_SECONDS:
            self._write(text)
            self._said_at = now
        self._state = state

    def say(self, message: str) -> None:
        """A line that stays (an event, the result), above the live line."""
        self._clear()
        self._write(message)

    def finish(self, message: str) -> None:
        self.say(f"{message} (after {duration(self.elapsed)})")

    def _clear(self) -> None:
        if self._drawn:
            self._stream.write("\r\033[K")
            self._drawn = False

    def _write(self, text: str) -> None:
        print(text, file=self._stream, flush=True)
