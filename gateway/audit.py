"""The audit trail: one line per change a user makes (create, delete, restart, run, kill).

Written by the services, which know who acted, on what, and what the scheduler calls it. A line
names the actor (owner key and display name), the action, the gateway's id and the upstream id,
and the result (``ok`` or the problem code); it carries no request body, so no password, token
or storage credential can reach it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from gateway.errors import GatewayError
from gateway.identity import Identity

audit_log = logging.getLogger("gateway.audit")


@dataclass
class AuditEntry:
    action: str
    target: str
    upstream_id: str | None = None


@asynccontextmanager
async def audited(action: str, identity: Identity, target: str,
                  upstream_id: str | None = None) -> AsyncIterator[AuditEntry]:
    """Log ``action`` on ``target`` by ``identity`` once it finished, with its result.

    The block may set ``entry.upstream_id`` (and ``entry.target``) once it knows them.
    """
    entry = AuditEntry(action, target, upstream_id)
    result = "ok"
    try:
        yield entry
    except GatewayError as error:
        result = error.code
        raise
    except asyncio.CancelledError:
        result = "cancelled"  # the client went away: the change may or may not have happened
        raise
    except BaseException:
        result = "error"
        raise
    finally:
        audit_log.info(
            "%s %s by %s: %s", action, entry.target, identity.name or identity.owner, result,
            extra={"audit": True, "action": action, "target": entry.target,
                   "upstream_id": entry.upstream_id, "result": result,
                   "owner": identity.owner, "actor": identity.name or identity.username,
                   "admin": identity.is_admin})
