"""/v1/deployments: services that become Marathon apps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from gateway.api.deps import (
    CurrentUser,
    DeploymentsDep,
    DrainingDep,
    EdgesDep,
    IdempotencyKey,
    ListingDep,
)
from gateway.api.log_streams import log_response
from gateway.api.rendered import RenderedLists, deployment_list_key, rendered_lists
from gateway.api.routing import AuthenticatedRoute, answer_created
from gateway.models import Deployment, DeploymentRequest, LogStream, Page
from gateway.models.deployments import DeploymentChange

router = APIRouter(prefix="/v1/deployments", tags=["deployments"], route_class=AuthenticatedRoute)

_PROBLEMS: dict[int | str, dict[str, str]] = {
    403: {"description": "Over quota (the problem says what is used and what is allowed)"},
    404: {"description": "No such deployment (or not yours)"},
    422: {"description": "Invalid input; `errors` name the fields"},
    502: {"description": "Marathon or Mesos failed"},
    503: {"description": "No scheduler leader, or the quota lock is busy"},
}


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Deployment,
             summary="Deploy a module or image as a service", responses=_PROBLEMS,
             description="Made exactly once, with or without an `Idempotency-Key`: when Marathon "
                         "loses its answer (a leader crash, a dropped or late answer), the "
                         "gateway asks again and recognises the app it made. Only when no "
                         "attempt is answered is it a `503` saying the change may have been "
                         "applied.")
async def create_deployment(
    body: DeploymentRequest, user: CurrentUser, deployments: DeploymentsDep, response: Response,
    request: Request, edges: EdgesDep,
    idempotency_key: IdempotencyKey = None,
) -> Deployment:
    created = await deployments.create(body, user, idempotency_key)
    answer_created(response, request, edges.settings, f"/v1/deployments/{created.deployment.id}",
                   replayed=created.replayed)
    return created.deployment


@router.get("", response_model=Page[Deployment], summary="The caller's deployments",
            description="Carries an `ETag`; sending it back in `If-None-Match` gets `304` while "
                        "the list is unchanged.",
            responses={304: {"description": "Unchanged since the ETag sent"}, **_PROBLEMS})
async def list_deployments(
    request: Request, user: CurrentUser, deployments: DeploymentsDep, page: ListingDep,
    lists: Annotated[RenderedLists, Depends(rendered_lists)],
) -> Response:
    tag = deployments.list_tag(user, everyone=page.everyone)

    async def listed() -> Page[Deployment]:
        return await deployments.list(user, everyone=page.everyone, limit=page.limit,
                                      cursor=page.cursor)

    key = None if tag is None else deployment_list_key(tag, page.limit, page.cursor)
    return await lists.answer(request, key, listed)


@router.get("/{deployment_id}", response_model=Deployment, summary="One deployment",
            responses=_PROBLEMS)
async def get_deployment(deployment_id: str, user: CurrentUser,
                         deployments: DeploymentsDep) -> Deployment:
    return await deployments.get(deployment_id, user)


@router.delete("/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Stop and remove a deployment", responses=_PROBLEMS)
async def delete_deployment(deployment_id: str, user: CurrentUser,
                            deployments: DeploymentsDep) -> Response:
    await deployments.delete(deployment_id, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{deployment_id}", response_model=Deployment,
              summary="Change a deployment's hardware, environment or description",
              description="A partial body; checked against the same bounds and quota as a new "
                          "deployment and applied as one Marathon update that stops the old task "
                          "before the new one starts (a GPU is never needed twice).",
              responses=_PROBLEMS)
async def change_deployment(deployment_id: str, body: DeploymentChange, user: CurrentUser,
                            deployments: DeploymentsDep) -> Deployment:
    return await deployments.change(deployment_id, body, user)


@router.post("/{deployment_id}/restart", status_code=status.HTTP_202_ACCEPTED,
             response_model=Deployment, summary="Restart a deployment's task", responses=_PROBLEMS)
async def restart_deployment(deployment_id: str, user: CurrentUser,
                             deployments: DeploymentsDep) -> Deployment:
    return await deployments.restart(deployment_id, user)


@router.get("/{deployment_id}/logs", response_class=StreamingResponse,
            summary="stdout or stderr of the deployment's task, from its Mesos sandbox",
            responses={200: {"content": {"text/plain": {}}}, **_PROBLEMS})
async def deployment_logs(
    deployment_id: str, user: CurrentUser, deployments: DeploymentsDep, draining: DrainingDep,
    stream: Annotated[LogStream, Query(description="Which file")] = "stdout",
    tail: Annotated[int | None, Query(ge=0, le=100_000,
                                      description="Only the last N lines (default: the last MiB)")]
    = None,
    follow: Annotated[bool, Query(description="Keep streaming new output until the task ends")]
    = False,
) -> StreamingResponse:
    task_log = await deployments.logs(deployment_id, user, stream=stream, lines=tail,
                                      keep_following=follow)
    return log_response(task_log, task_id_header="X-Task-Id", draining=draining)
