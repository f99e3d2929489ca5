"""List answers rendered once per version of what they show, with an ETag that 304s honour.

A list is looked up by the version its service gives (``Deployments.list_tag``), so a repeated
read of an unchanged list costs a dictionary lookup, not a render, and a client that sends the
ETag back (``If-None-Match``) gets ``304 Not Modified`` without a body. When no version can be
had (reads go to Marathon), the list is rendered as usual and still tagged by its content.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from fastapi import Request, Response
from pydantic import BaseModel

MAX_RENDERED = 4096
# private: one user's list never comes out of a shared cache; no-cache: revalidate with the
# ETag each time, which costs a 304.
CACHE_CONTROL = "private, no-cache"


RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    # The ASGI headers of its 200 and 304 answers, made once (gateway/api/list_front.py).
    raw_headers: dict[int, RawHeaders] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        common = [(b"etag", self.etag.encode()), (b"cache-control", CACHE_CONTROL.encode())]
        object.__setattr__(self, "raw_headers", {
            200: [*common, (b"content-type", b"application/json"),
                  (b"content-length", str(len(self.body)).encode())],
            304: common})

    def answer(self, if_none_match: str | None) -> tuple[int, bytes]:
        """The status and body for a request that sent ``If-None-Match`` (or not)."""
        if _matches(if_none_match, self.etag):
            return 304, b""
        return 200, self.body


def rendered(model: BaseModel) -> Rendered:
    body = model.model_dump_json().encode()
    return Rendered(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


class RenderedLists:
    """Bounded, least recently used first out. Only touched from the event loop."""

    def __init__(self, max_entries: int = MAX_RENDERED) -> None:
        self._max = max_entries
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()

    def lookup(self, key: Hashable) -> Rendered | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    async def answer(self, request: Request, key: Hashable | None,
                     render: Callable[[], Awaitable[BaseModel]]) -> Response:
        """``key`` names the version of the list (None: unknown, render it now)."""
        found = self.lookup(key) if key is not None else None
        if found is None:
            found = rendered(await render())
            if key is not None:
                self._entries[key] = found
                if len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        status, body = found.answer(request.headers.get("if-none-match"))
        headers = {"ETag": found.etag, "Cache-Control": CACHE_CONTROL}
        if status == 304:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    # RFC 9110 13.1.2: weak comparison, any of a list, or "*".
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def deployment_list_key(tag: str, limit: int, cursor: str | None) -> Hashable:
    return ("deployments", tag, limit, cursor)


async def rendered_lists(request: Request) -> RenderedLists:
    lists: RenderedLists = request.app.state.rendered_lists
    return lists
