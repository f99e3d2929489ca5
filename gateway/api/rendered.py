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
from dataclasses import dataclass

from fastapi import Request, Response
from pydantic import BaseModel

MAX_RENDERED = 4096


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str


def rendered(model: BaseModel) -> Rendered:
    body = model.model_dump_json().encode()
    return Rendered(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


class RenderedLists:
    """Bounded, least recently used first out. Only touched from the event loop."""

    def __init__(self, max_entries: int = MAX_RENDERED) -> None:
        self._max = max_entries
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()

    async def answer(self, request: Request, key: Hashable | None,
                     render: Callable[[], Awaitable[BaseModel]]) -> Response:
        """``key`` names the version of the list (None: unknown, render it now)."""
        found = self._entries.get(key) if key is not None else None
        if found is None:
            found = rendered(await render())
            if key is not None:
                self._entries[key] = found
                if len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        elif len(self._entries) > 1:
            self._entries.move_to_end(key)
        # private: one user's list never comes out of a shared cache; no-cache: revalidate
        # with the ETag each time, which costs a 304.
        headers = {"ETag": found.etag, "Cache-Control": "private, no-cache"}
        if _matches(request.headers.get("if-none-match"), found.etag):
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type="application/json", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    # RFC 9110 13.1.2: weak comparison, any of a list, or "*".
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or "*" in tags


def rendered_lists(request: Request) -> RenderedLists:
    lists: RenderedLists = request.app.state.rendered_lists
    return lists
