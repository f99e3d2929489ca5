"""Where jobs persist: Mesos ``ZooKeeperState`` entries under ``<zk_path>/state`` (or memory).

Each variable is one znode whose bytes are a ``mesos.internal.state.Entry`` protobuf
(``name = 1``, ``uuid = 2``, ``value = 3``); jobs are ``J_<name>`` holding the serializer's
JSON, and ``frameworkId`` holds a serialized ``FrameworkID`` (``value = 1``). Writes go through
one ordered writer so a status update and an API call never overtake each other, and reads
see writes that are still on their way (Chronos reloads every job on each loop iteration).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError

JOB_PREFIX = "J_"
FRAMEWORK_ID = "frameworkId"

T = TypeVar("T")


class StateBackend(Protocol):
    """Blocking variable store; the ZooKeeper one runs in worker threads."""

    def fetch_all(self) -> dict[str, bytes]: ...
    def store(self, name: str, value: bytes) -> None: ...
    def expunge(self, name: str) -> None: ...


class MemoryBackend:
    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}

    def fetch_all(self) -> dict[str, bytes]:
        return dict(self._values)

    def store(self, name: str, value: bytes) -> None:
        self._values[name] = value

    def expunge(self, name: str) -> None:
        self._values.pop(name, None)


class ZooKeeperBackend:
    def __init__(self, client: KazooClient, path: str) -> None:
        self._client = client
        self.path = path.rstrip("/")

    def fetch_all(self) -> dict[str, bytes]:
        self._client.ensure_path(self.path)
        values: dict[str, bytes] = {}
        for child in self._client.get_children(self.path):
            with contextlib.suppress(NoNodeError):
                data, _ = self._client.get(f"{self.path}/{child}")
                entry = decode_entry(data)
                if entry is not None:
                    values[entry[0]] = entry[1]
        return values

    def store(self, name: str, value: bytes) -> None:
        node = f"{self.path}/{name}"
        data = encode_entry(name, value)
        try:
            self._client.set(node, data)
        except NoNodeError:
            try:
                self._client.create(node, data, makepath=True)
            except NodeExistsError:
                self._client.set(node, data)

    def expunge(self, name: str) -> None:
        # Mesos State has no delete: Chronos removes the znode itself.
        with contextlib.suppress(NoNodeError):
            self._client.delete(f"{self.path}/{name}")


class JobStore:
    """Asynchronous access to a backend: writes are applied in the order they were asked
    for, and reads see writes still on their way."""

    def __init__(self, backend: StateBackend, *, threaded: bool) -> None:
        self._backend = backend
        self._threaded = threaded
        self._in_flight: dict[str, bytes | None] = {}
        self._last_write: asyncio.Task[None] | None = None

    async def load(self) -> dict[str, bytes]:
        values = await self._call(self._backend.fetch_all)
        for name, value in self._in_flight.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        return values

    async def put(self, name: str, value: bytes) -> None:
        await asyncio.shield(self.put_soon(name, value))

    async def delete(self, name: str) -> None:
        await asyncio.shield(self.put_soon(name, None))

    def put_soon(self, name: str, value: bytes | None) -> asyncio.Task[None]:
        """Queue a write (``None`` deletes) behind every earlier one; visible to :meth:`load`
        at once. Synchronous callers (status updates) use this directly."""
        self._in_flight[name] = value
        write = asyncio.create_task(self._write_after(self._last_write, name, value))
        self._last_write = write
        return write

    async def _write_after(
        self, previous: asyncio.Task[None] | None, name: str, value: bytes | None
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            if value is None:
                await self._call(self._backend.expunge, name)
            else:
                await self._call(self._backend.store, name, value)
        finally:
            if self._in_flight.get(name, b"") is value:
                del self._in_flight[name]

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        if self._threaded:
            return await asyncio.to_thread(function, *args)
        return function(*args)


def encode_entry(name: str, value: bytes) -> bytes:
    return (
        _field(1, name.encode("utf-8")) + _field(2, uuid.uuid4().bytes) + _field(3, value)
    )


def decode_entry(data: bytes) -> tuple[str, bytes] | None:
    fields: dict[int, bytes] = {}
    position = 0
    try:
        while position < len(data):
            key, position = _varint(data, position)
            if key & 7 != 2:
                return None
            length, position = _varint(data, position)
            fields[key >> 3] = data[position : position + length]
            position += length
    except IndexError:
        return None
    if 1 not in fields or 3 not in fields:
        return None
    return fields[1].decode("utf-8", "replace"), fields[3]


def encode_framework_id(framework_id: str) -> bytes:
    return _field(1, framework_id.encode("utf-8"))


def decode_framework_id(data: bytes) -> str | None:
    try:
        key, position = _varint(data, 0)
        length, position = _varint(data, position)
    except IndexError:
        return None
    return data[position : position + length].decode("utf-8") if key == 0x0A else None


def _field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
