"""/v1/me: who the token says the caller is, as the gateway understood it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.deps import CurrentUser

router = APIRouter(prefix="/v1", tags=["me"])


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


@router.get("/me", response_model=Me, summary="Who you are to the gateway",
            responses={401: {"description": "No valid bearer token"},
                       403: {"description": "Not in a group allowed to use the gateway"}})
async def me(user: CurrentUser) -> Me:
    return Me(subject=user.subject, issuer=user.issuer, owner=user.owner, name=user.name,
              username=user.username, email=user.email, groups=sorted(user.groups),
              admin=user.is_admin, scopes=sorted(user.scopes))
