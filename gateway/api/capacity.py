"""/v1/capacity: what the cluster has and what waits, for the deploy decision."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.deps import CurrentUser, EdgesDep
from gateway.errors import UpstreamUnavailable
from gateway.models.capacity import Capacity

router = APIRouter(prefix="/v1", tags=["capacity"])


@router.get("/capacity", response_model=Capacity, summary="The cluster's GPUs, CPUs and memory",
            description="Totals and free amounts over every active agent, the agents grouped by "
                        "size with how many have each amount free, and how many deployments and "
                        "jobs wait. Read from the Mesos master, cached for a few seconds.",
            responses={502: {"description": "The Mesos master failed"},
                       503: {"description": "The Mesos master is not configured or reachable"}})
async def capacity(user: CurrentUser, edges: EdgesDep) -> Capacity:
    if edges.capacity is None:
        raise UpstreamUnavailable("Capacity needs the Mesos master, which is not configured.")
    return await edges.capacity.view()
