"""/v1/me: who the token says the caller is, as the gateway understood it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.deps import CurrentUser, EdgesDep
from gateway.api.routing import AuthenticatedRoute
from gateway.config import QuotaLimits
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.quotas import used_by_resource

router = APIRouter(prefix="/v1", tags=["me"], route_class=AuthenticatedRoute)


class QuotaUse(BaseModel):
    """What you hold or wait for, counted as quotas count it."""

    gpus: int
    cpus: float
    memory: int = Field(description="MiB")
    deployments: int
    jobs: int


class Quota(BaseModel):
    limits: QuotaLimits = Field(description="Your limits; null: no limit on that resource")
    used: QuotaUse | None = Field(description="null when a scheduler could not be asked now")
    detail: str = ""


class Me(BaseModel):
    subject: str = Field(description="sub of the token")
    issuer: str = Field(description="iss of the token")
    owner: str = Field(description="The owner key of your deployments and jobs (from iss and sub)")
    name: str | None = None
    username: str | None = Field(None, description="preferred_username, when the issuer gives it")
    email: str | None = None
    groups: list[str] = Field(description="Groups from the token (or userinfo), sorted")
    admin: bool = Field(description="Whether you see and act on everyone's deployments and jobs")
    scopes: list[str] = Field(description="OAuth scopes the token carries, sorted")
    quota: Quota


@router.get("/me", response_model=Me, summary="Who you are to the gateway",
            responses={401: {"description": "No valid bearer token"},
                       403: {"description": "Not in a group allowed to use the gateway"}})
async def me(user: CurrentUser, edges: EdgesDep) -> Me:
    quota = Quota(limits=edges.quotas.limits(user), used=None)
    try:
        usage = await edges.quotas.usage(user.owner)
    except (UpstreamError, UpstreamUnavailable) as exc:
        quota.detail = exc.detail
    else:
        quota.used = QuotaUse.model_validate(used_by_resource(usage))
    return Me(subject=user.subject, issuer=user.issuer, owner=user.owner, name=user.name,
              username=user.username, email=user.email, groups=sorted(user.groups),
              admin=user.is_admin, scopes=sorted(user.scopes), quota=quota)
