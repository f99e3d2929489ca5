"""My deployments: the list (admins: everyone's, with owners), one deployment with its tasks,
health and log, restart, and delete after a confirmation page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from gateway.api.deps import DeploymentsDep
from gateway.api.log_streams import log_response
from gateway.deployments import Deployments
from gateway.errors import GatewayError
from gateway.models import LogStream
from gateway.web.context import PostedForm, UiDep
from gateway.web.errors import WebRoute
from gateway.web.pages import Ui

router = APIRouter(prefix="/ui/deployments", route_class=WebRoute, include_in_schema=False)

LOG_LINES = 200
STREAMS: tuple[LogStream, ...] = ("stdout", "stderr")


@router.get("", name="deployments_page")
async def deployments_page(ui: UiDep, deployments: DeploymentsDep,
                           everyone: Annotated[bool, Query(alias="all")] = False) -> Response:
    assert ui.user is not None
    page = await deployments.list(ui.user, everyone=everyone, limit=500, cursor=None)
    return ui.render("deployments.html", deployments=page.items, everyone=everyone)


async def _log_tails(deployments: Deployments, ui: Ui, deployment_id: str) -> dict[str, str]:
    assert ui.user is not None
    tails: dict[str, str] = {}
    for stream in STREAMS:
        try:
            log = await deployments.logs(deployment_id, ui.user, stream=stream, lines=LOG_LINES,
                                         keep_following=False)
        except GatewayError as exc:  # no task yet, agent gone: the sentence says why
            tails[stream] = f"[{exc.detail}]"
        else:
            tails[stream] = log.head.decode(errors="replace")
    return tails


@router.get("/{deployment_id}", name="deployment_page")
async def deployment_page(deployment_id: str, ui: UiDep, deployments: DeploymentsDep) -> Response:
    assert ui.user is not None
    deployment = await deployments.get(deployment_id, ui.user)
    return ui.render("deployment.html", deployment=deployment,
                     logs=await _log_tails(deployments, ui, deployment_id), lines=LOG_LINES)


@router.get("/{deployment_id}/log", name="deployment_log")
async def deployment_log(deployment_id: str, ui: UiDep, deployments: DeploymentsDep,
                         stream: LogStream = "stdout",
                         tail: Annotated[int, Query(ge=0, le=10_000)] = LOG_LINES) -> StreamingResponse:
    """The log's last lines, then what follows while the task runs (read by follow.js)."""
    assert ui.user is not None
    log = await deployments.logs(deployment_id, ui.user, stream=stream, lines=tail,
                                 keep_following=True)
    return log_response(log, task_id_header="X-Task-Id")


@router.post("/{deployment_id}/restart", name="deployment_restart")
async def deployment_restart(deployment_id: str, form: PostedForm, ui: UiDep,
                             deployments: DeploymentsDep) -> Response:
    assert ui.user is not None
    await deployments.restart(deployment_id, ui.user)
    return RedirectResponse(ui.url("deployment_page", deployment_id=deployment_id), status_code=303)


@router.get("/{deployment_id}/delete", name="deployment_delete_confirm")
async def deployment_delete_confirm(deployment_id: str, ui: UiDep,
                                    deployments: DeploymentsDep) -> Response:
    assert ui.user is not None
    deployment = await deployments.get(deployment_id, ui.user)
    return ui.render("deployment_delete.html", deployment=deployment)


@router.post("/{deployment_id}/delete", name="deployment_delete")
async def deployment_delete(deployment_id: str, form: PostedForm, ui: UiDep,
                            deployments: DeploymentsDep) -> Response:
    assert ui.user is not None
    await deployments.delete(deployment_id, ui.user)
    return RedirectResponse(ui.url("deployments_page"), status_code=303)
