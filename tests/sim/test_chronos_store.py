"""Chronos' state store: Mesos ``Entry`` protobufs, and writes that land in the order asked."""

from __future__ import annotations

import pytest

from simcluster.chronos.store import (
    JobStore,
    MemoryBackend,
    decode_entry,
    decode_framework_id,
    encode_entry,
    encode_framework_id,
)

pytestmark = pytest.mark.anyio


def test_an_entry_is_the_mesos_state_protobuf_with_name_uuid_and_value():
    data = encode_entry("J_train", b'{"name":"train"}')

    assert data[:9] == b"\x0a\x07J_train"  # field 1, length-delimited, 7 bytes
    assert data[9:11] == b"\x12\x10"  # field 2: a 16-byte UUID
    assert data[27:29] == b"\x1a\x10" and data[29:] == b'{"name":"train"}'
    assert decode_entry(data) == ("J_train", b'{"name":"train"}')


def test_the_framework_id_is_a_frameworkid_protobuf():
    assert encode_framework_id("abc-0000") == b"\x0a\x08abc-0000"
    assert decode_framework_id(b"\x0a\x08abc-0000") == "abc-0000"


async def test_a_write_requested_later_is_never_overtaken_by_an_earlier_one():
    backend = MemoryBackend()
    store = JobStore(backend, threaded=False)

    store.put_soon("J_a", b"from a status update")
    await store.put("J_a", b"from the API")

    assert backend.fetch_all() == {"J_a": b"from the API"}
    assert await store.load() == {"J_a": b"from the API"}


async def test_reads_see_writes_still_on_their_way():
    backend = MemoryBackend()
    store = JobStore(backend, threaded=False)
    backend.store("J_gone", b"old")

    pending = [store.put_soon("J_new", b"new"), store.put_soon("J_gone", None)]

    assert await store.load() == {"J_new": b"new"}
    for write in pending:
        await write
    assert backend.fetch_all() == {"J_new": b"new"}
