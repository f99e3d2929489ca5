"""--wait tells a person what it waits for and for how long: one live line on a terminal, plain
lines (on changes, and a reminder each minute) in a log."""

from __future__ import annotations

import io

from gateway.cli.progress import StatusLine, duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_durations_read_as_a_person_says_them():
    assert [duration(s) for s in (0, 12.7, 65, 3600 + 120)] == ["0s", "12s", "1m05s", "1h02m"]


def test_on_a_terminal_one_line_is_rewritten_with_the_time_waited():
    out, clock = Terminal(), Clock()
    line = StatusLine("deployment d1 to run", stream=out, clock=clock)
    line.update("waiting: no agent has enough free GPUs")
    clock.now += 5
    line.update("waiting: no agent has enough free GPUs")
    clock.now += 70
    line.update("running")
    line.finish("d1 is running")
    text = out.getvalue()
    assert text.count("\r\x1b[K") >= 3 and "\n" not in text.rstrip("\n")
    assert "waiting for deployment d1 to run: waiting: no agent has enough free GPUs (5s)" in text
    assert text.endswith("\r\x1b[Kd1 is running (after 1m15s)\n")


def test_in_a_log_a_line_is_written_per_change_and_a_reminder_each_minute():
    out, clock = io.StringIO(), Clock()
    line = StatusLine("a run of train to end", stream=out, clock=clock)
    for seconds, state in ((0, "queued"), (2, "queued"), (4, "running"), (30, "running"),
                           (70, "running")):
        clock.now = 1000.0 + seconds
        line.update(state)
    line.finish("train succeeded")
    assert out.getvalue().splitlines() == [
        "waiting for a run of train to end: queued (0s)",
        "waiting for a run of train to end: running (4s)",
        "waiting for a run of train to end: running (1m10s)",
        "train succeeded (after 1m10s)",
    ]
    assert "\x1b" not in out.getvalue()
