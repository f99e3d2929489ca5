"""The contract between the services and the deliveries that use them.

Two services hold the product's behaviour: ``Deployments`` (gateway/deployments.py, Marathon) and
``Jobs`` (gateway/jobs.py, Chronos). The app's lifespan (gateway/app.py) builds each ONCE, with
keyword arguments, and keeps them in ``app.state.services`` (``edges.Services``), beside the I/O
edges they use.

A delivery (the REST routers in gateway/api/, the web UI in gateway/web/, a CLI or a future
gRPC/MCP face) never constructs a service: inside the app it takes ``DeploymentsDep`` and
``JobsDep`` from ``gateway.api.deps`` (``JobsDep`` answers 503 when Chronos is not configured);
outside FastAPI it reads ``Services`` from the app state. It authenticates the caller itself
and passes the verified ``Identity``; the services check ownership, quotas and input, and raise
``gateway.errors`` (which the delivery renders; the REST one as problem+json).

Both services speak the same verbs: ``create`` / ``list`` / ``get`` / ``change`` / ``delete`` /
``logs``, plus their own actions (``restart``; ``run``, ``kill``, ``preview``). Both admit a
creation through ``Quotas.admit(identity, kind, hardware)`` (a change through ``Quotas.check``
with what the item holds as ``replacing``), refuse what no agent could hold through
``ClusterCapacity.check_fits`` (gateway/capacity.py), take ``clock`` (the time they stamp and
compare with) and get the Mesos master through ``require_mesos``. Both ``create``s take an
optional Idempotency-Key (checked with ``check_idempotency_key``) and say whether they replayed.

A new scheduler (a third kind of workload) provides:

- a client in gateway/upstreams/ built on ``UpstreamClient`` (leader discovery, retries, 503s);
- a pure translation in gateway/translation/ (request -> scheduler object, object -> view);
- a service here with the verbs above, keyword-only, whose ``usage(owner)`` the lifespan
  registers with ``Quotas.register_usage(kind, ...)``, and a field of ``Services`` plus its
  ``...Dep`` in gateway/api/deps.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from gateway.errors import InvalidInput, UpstreamUnavailable
from gateway.upstreams.mesos import MesosClient

Clock = Callable[[], datetime]
IDEMPOTENCY_KEY_MAX = 255


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_mesos(mesos: MesosClient | None, needed_for: str) -> MesosClient:
    """The Mesos master client, or the 503 a service answers when it is not configured."""
    if mesos is None:
        raise UpstreamUnavailable(f"{needed_for} need the Mesos master, which is not configured.",
                                  retry_after=None)
    return mesos


def check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise InvalidInput("The Idempotency-Key must be 1 to 255 printable ASCII characters.",
                           [{"field": "Idempotency-Key", "message": "invalid key"}])
