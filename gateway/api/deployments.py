"""/v1/deployments: services that become Marathon apps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from gateway.api.deps import CurrentUser, EdgesDep
from gateway.deployments import Deployments
from gateway.models import Deployment, DeploymentRequest, Page

router = APIRouter(prefix="/v1/deployments", tags=["deployments"])


def get_deployments(edges: EdgesDep) -> Deployments:
    return Deployments(edges.settings, edges.marathon, edges.templates, edges.catalog)


DeploymentsDep = Annotated[Deployments, Depends(get_deployments)]


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Deployment,
             summary="Deploy a module or image as a service")
async def create_deployment(body: DeploymentRequest, user: CurrentUser,
                            deployments: DeploymentsDep, response: Response) -> Deployment:
    deployment = await deployments.create(body, user)
    response.headers["Location"] = f"/v1/deployments/{deployment.id}"
    return deployment


@router.get("", response_model=Page[Deployment], summary="The caller's deployments")
async def list_deployments(
    user: CurrentUser, deployments: DeploymentsDep,
    all_users: Annotated[bool, Query(alias="all", description="Admins: everyone's")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[Deployment]:
    return await deployments.list(user, everyone=all_users, limit=limit, cursor=cursor)


@router.get("/{deployment_id}", response_model=Deployment, summary="One deployment")
async def get_deployment(deployment_id: str, user: CurrentUser,
                         deployments: DeploymentsDep) -> Deployment:
    return await deployments.get(deployment_id, user)


@router.delete("/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Stop and remove a deployment")
async def delete_deployment(deployment_id: str, user: CurrentUser,
                            deployments: DeploymentsDep) -> Response:
    await deployments.delete(deployment_id, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{deployment_id}/restart", status_code=status.HTTP_202_ACCEPTED,
             summary="Restart a deployment's task")
async def restart_deployment(deployment_id: str, user: CurrentUser,
                             deployments: DeploymentsDep) -> Response:
    await deployments.restart(deployment_id, user)
    return Response(status_code=status.HTTP_202_ACCEPTED)
