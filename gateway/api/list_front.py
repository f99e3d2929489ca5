"""The hottest read answered in front of the framework: ``GET /v1/deployments`` when all there
is to do is to hand back bytes already rendered.

Clients and the UI poll their list. When the caller's token was verified before (the cache of
verified tokens, no signature check), the read view is live, and the list at its current
version was rendered already (gateway/api/rendered.py), this answers at once (200 or 304),
skipping the framework: routing, dependency solving and validation. The request context asks
it first (gateway/request_context.py), so the answer still gets its request id, access line
and metrics. Anything else (a new
token, a refusal, an unusual query, a list not rendered yet) goes on to the route, which
checks, renders, and fills the cache for the next time; this front never refuses anything.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import Scope

from gateway.api.deps import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT, Listing
from gateway.api.rendered import RawHeaders, Rendered, deployment_list_key
from gateway.errors import GatewayError

PATH = "/v1/deployments"
# What the metrics read of a matched route: its template.
_ROUTE = SimpleNamespace(path=PATH)


class DeploymentListFront:
    """A front for the request context (gateway/request_context.py): the answer, or None."""

    def __init__(self, root: FastAPI) -> None:
        self._root = root  # its state holds the edges, services and rendered lists

    def __call__(self, scope: Scope) -> tuple[int, RawHeaders, bytes] | None:
        if scope["method"] != "GET" or scope["path"] != PATH:
            return None
        found = self._rendered(scope)
        if found is None:
            return None
        rendered, if_none_match = found
        status, body = rendered.answer(if_none_match)
        scope["route"] = _ROUTE
        return status, rendered.raw_headers[status], body

    def _rendered(self, scope: Scope) -> tuple[Rendered, str | None] | None:
        state = self._root.state
        edges, services = getattr(state, "edges", None), getattr(state, "services", None)
        listing = _plain_listing(scope["query_string"])
        if edges is None or services is None or listing is None:
            return None
        authorization, if_none_match = [], None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization.append(value)
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        if len(authorization) != 1:
            return None
        token = _bearer_as_verified(authorization[0])
        if token is None:
            return None
        try:
            identity = edges.verifier.verified_before(token)
            if identity is None:
                return None
            tag = services.deployments.list_tag(identity, everyone=listing.everyone)
        except GatewayError:
            return None  # the route says why, as a problem
        if tag is None:
            return None
        found = state.rendered_lists.lookup(deployment_list_key(tag, listing.limit, listing.cursor))
        if found is None:
            return None
        return found, if_none_match


def _bearer_as_verified(authorization: bytes) -> str | None:
    """The token of ``Bearer <token>``, as gateway.auth.bearer.bearer_token gives it from a
    header it accepts, without judging it: the token is only looked up among those verified
    before, which that function accepted, and a header it would refuse finds none (or is not
    of this form) and goes on to the route, which refuses it."""
    if authorization[:7].lower() != b"bearer ":
        return None
    return authorization[7:].decode("latin-1").strip()


_DEFAULT_LISTING = Listing(everyone=False, limit=DEFAULT_LIMIT, cursor=None)


def _plain_listing(query: bytes) -> Listing | None:
    """The paging parameters when they are plainly valid, else None (the route judges them)."""
    if not query:
        return _DEFAULT_LISTING
    try:
        pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    values = dict(pairs)
    if len(values) != len(pairs) or not values.keys() <= {"all", "limit", "cursor"}:
        return None
    everyone = values.get("all", "false")
    limit = values.get("limit", str(DEFAULT_LIMIT))
    cursor = values.get("cursor")
    if everyone not in ("true", "false") or not limit.isdigit() or \
            not 1 <= int(limit) <= MAX_LIMIT or (cursor is not None and len(cursor) > MAX_CURSOR):
        return None
    return Listing(everyone=everyone == "true", limit=int(limit), cursor=cursor)
