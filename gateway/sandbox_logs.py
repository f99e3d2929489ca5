"""Reading a task's stdout/stderr from its Mesos sandbox: the last lines, then following.

Shared by deployment and job logs: both know a task id, this knows how to page through the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from gateway.upstreams.mesos import MesosClient, Sandbox, SandboxFileName

CHUNK = 64 * 1024
MAX_TAIL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TaskLog:
    task_id: str
    head: bytes
    rest: AsyncIterator[bytes] | None  # set when following


async def task_log(mesos: MesosClient, sandbox: Sandbox, name: SandboxFileName,
                   lines: int | None, *,
                   still_running: Callable[[], Awaitable[bool]] | None) -> TaskLog:
    """The last lines now and, when ``still_running`` is given, what follows until it is False."""
    head, size = await tail(mesos, sandbox, name, lines)
    rest = (follow(mesos, sandbox, name, size, still_running=still_running)
            if still_running is not None else None)
    return TaskLog(sandbox.task_id, head, rest)


def last_lines(data: bytes, lines: int) -> bytes:
    """The last ``lines`` lines of ``data`` (a trailing newline does not start a new line)."""
    if lines <= 0:
        return b""
    body = data[:-1] if data.endswith(b"\n") else data
    cut = len(body)
    for _ in range(lines):
        cut = body.rfind(b"\n", 0, cut)
        if cut < 0:
            return data
    return data[cut + 1:]


async def tail(mesos: MesosClient, sandbox: Sandbox, name: SandboxFileName,
               lines: int | None) -> tuple[bytes, int]:
    """The last ``lines`` lines (all of a small file when None) and the file's size."""
    size = await mesos.size(sandbox, name)
    start = max(0, size - MAX_TAIL_BYTES)
    data = b""
    cursor = size
    # Read backwards in chunks until there are enough lines, so a tail of a big file stays cheap.
    while cursor > start:
        begin = max(start, cursor - CHUNK)
        chunk = await mesos.read(sandbox, name, begin, cursor - begin)
        data = chunk.data + data
        cursor = begin
        if lines is not None and data.count(b"\n") > lines:
            break
    return (last_lines(data, lines) if lines is not None else data), size


async def follow(mesos: MesosClient, sandbox: Sandbox, name: SandboxFileName, offset: int, *,
                 still_running: Callable[[], Awaitable[bool]], poll_seconds: float = 1.0,
                 max_seconds: float = 3600.0) -> AsyncIterator[bytes]:
    """New bytes from ``offset`` on, until the task stops (then whatever it wrote last)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    idle_polls = 0
    while loop.time() < deadline:
        chunk = await mesos.read(sandbox, name, offset, CHUNK)
        if chunk.data:
            offset = chunk.end
            idle_polls = 0
            yield chunk.data
            continue
        idle_polls += 1
        # Asking whether the task still runs costs a scheduler call: only when the file is quiet.
        if idle_polls % 3 == 0 and not await still_running():
            while (final := await mesos.read(sandbox, name, offset, CHUNK)).data:
                offset = final.end
                yield final.data
            return
        await asyncio.sleep(poll_seconds)
