"""/v1/jobs: batch jobs that become Chronos jobs (run now, on a schedule, or after parents)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from gateway.api.deps import (
    CurrentUser,
    DrainingDep,
    EdgesDep,
    IdempotencyKey,
    JobsDep,
    ListingDep,
)
from gateway.api.log_streams import log_response
from gateway.api.routing import AuthenticatedRoute, answer_created
from gateway.jobs import ChildPolicy
from gateway.models.common import Page
from gateway.models.deployments import LogStream
from gateway.models.jobs import Job, JobChange, JobRequest

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=AuthenticatedRoute)

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Over quota (the problem says what is used and what is allowed)"},
    404: {"description": "No such job (or not yours)"},
    409: {"description": "Jobs run after this one, or the job is disabled"},
    422: {"description": "Invalid input; `errors` name the fields (nothing was sent to Chronos)"},
    502: {"description": "Chronos or Mesos failed"},
    503: {"description": "No scheduler leader, or the quota lock is busy"},
}


JobId = Annotated[str, Path(max_length=200, description="A job id (gw-<owner>-<name>) or, for "
                                                          "your own jobs, just its name.")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Job,
             summary="Submit a batch job",
             description="Stored and started exactly once: when Chronos loses its answer (a "
                         "leader crash, a dropped answer), the gateway reads the job back before "
                         "it would send it again. A `503` saying the change may have been applied "
                         "means Chronos did not answer in time: resubmit with the same "
                         "`Idempotency-Key` to get the job if it landed (without a key, the name "
                         "is then reported as used).",
             responses={200: {"description": "dry_run: the Chronos job that would be sent"},
                        **_PROBLEMS})
async def submit_job(
    body: JobRequest, user: CurrentUser, jobs: JobsDep, response: Response, request: Request,
    edges: EdgesDep,
    dry_run: Annotated[bool, Query(description="Only translate and validate; send nothing")]
    = False,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    if dry_run:
        return JSONResponse(await jobs.preview(body, user), status_code=status.HTTP_200_OK)
    created = await jobs.create(body, user, idempotency_key)
    answer_created(response, request, edges.settings, f"/v1/jobs/{created.job.id}",
                   replayed=created.replayed)
    return created.job


@router.get("", response_model=Page[Job], summary="The caller's jobs (without run history)",
            responses=_PROBLEMS)
async def list_jobs(
    user: CurrentUser, jobs: JobsDep, page: ListingDep,
) -> Page[Job]:
    return await jobs.list(user, everyone=page.everyone, limit=page.limit, cursor=page.cursor)


@router.get("/{job_id}", response_model=Job, summary="One job with its schedule and runs",
            responses=_PROBLEMS)
async def get_job(job_id: JobId, user: CurrentUser, jobs: JobsDep) -> Job:
    return await jobs.get(job_id, user)


@router.patch("/{job_id}", response_model=Job, summary="Change a job (pause, resume, reschedule...)",
              description="A partial body of the submit fields: `{\"disabled\": true}` pauses, "
                          "`{\"disabled\": false}` resumes; the changed job is validated (and "
                          "admitted by your quota) as a new job would be. Jobs that run after "
                          "this one stay as they are. Answers the whole job.",
              responses=_PROBLEMS)
async def change_job(job_id: JobId, body: JobChange, user: CurrentUser, jobs: JobsDep) -> Job:
    return await jobs.change(job_id, body, user)


@router.post("/{job_id}/run", status_code=status.HTTP_202_ACCEPTED, response_model=Job,
             summary="Run the job now (once, besides its schedule)", responses=_PROBLEMS)
async def run_job(job_id: JobId, user: CurrentUser, jobs: JobsDep) -> Job:
    return await jobs.run(job_id, user)


@router.post("/{job_id}/kill", status_code=status.HTTP_202_ACCEPTED, response_model=Job,
             summary="Kill the job's running tasks (its schedule stays)", responses=_PROBLEMS)
async def kill_job(job_id: JobId, user: CurrentUser, jobs: JobsDep) -> Job:
    return await jobs.kill(job_id, user)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a job (refused while other jobs run after it)", responses=_PROBLEMS)
async def delete_job(
    job_id: JobId, user: CurrentUser, jobs: JobsDep,
    children: Annotated[ChildPolicy, Query(
        description="refuse: 409 while jobs run after this one; delete: delete them first")]
    = "refuse",
) -> Response:
    deleted = await jobs.delete(job_id, user, children=children)
    return Response(status_code=status.HTTP_204_NO_CONTENT,
                    headers={"X-Deleted-Jobs": ",".join(deleted)})


@router.get("/{job_id}/logs", response_class=StreamingResponse,
            summary="stdout or stderr of a run (the newest by default), from its Mesos sandbox",
            responses={200: {"content": {"text/plain": {}}}, **_PROBLEMS})
async def job_logs(
    job_id: JobId, user: CurrentUser, jobs: JobsDep, draining: DrainingDep,
    run: Annotated[str | None, Query(max_length=400, description="A run id from the job's runs")]
    = None,
    stream: Annotated[LogStream, Query(description="Which file")] = "stdout",
    tail: Annotated[int | None, Query(ge=0, le=100_000, description="Only the last N lines")]
    = None,
    follow: Annotated[bool, Query(description="Keep streaming until the run ends")] = False,
) -> StreamingResponse:
    job_log = await jobs.logs(job_id, user, run_id=run, stream=stream, lines=tail,
                              keep_following=follow)
    return log_response(job_log, task_id_header="X-Run-Id", draining=draining)
