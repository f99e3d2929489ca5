"""The ``/v1/scheduler`` resources and ``/ping`` (Jersey resources in Chronos 3).

Every resource maps an ``IllegalArgumentException`` to 400 and any other exception to 500,
both as ``ApiResult`` with the stack trace as message. Deserializer failures never reach a
resource: they become Jetty's HTML 500 (see :mod:`responses`).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simcluster.chronos import responses as r
from simcluster.chronos.deserializer import job_from_json, parse_body
from simcluster.chronos.graph import graph_csv, graph_dot
from simcluster.chronos.job import Job
from simcluster.chronos.options import ChronosOptions
from simcluster.chronos.responses import UnmappedException
from simcluster.chronos.schedule import EPOCH_FLOOR, format_datetime, parse_schedule
from simcluster.chronos.scheduler import JobScheduler
from simcluster.chronos.search import search_jobs
from simcluster.chronos.serializer import job_for_listing, job_to_json
from simcluster.chronos.store import JOB_PREFIX

_JOB_NAME = re.compile(r"([\w\.-]+)", re.ASCII)
_PERCENTILES = ("99thPercentile", "98thPercentile", "95thPercentile", "75thPercentile", "median", "mean")


class ChronosNode(Protocol):
    """What the resources need from the running instance."""

    options: ChronosOptions
    scheduler: JobScheduler

    async def leader_id(self) -> str: ...


def create_api(node: ChronosNode) -> Starlette:
    api = _Resources(node)
    base = "/v1/scheduler"
    routes = [
        Route("/ping", api.ping, methods=["GET"]),
        Route(f"{base}/jobs", api.list_jobs, methods=["GET"]),
        Route(f"{base}/jobs/search", api.search, methods=["GET"]),
        Route(f"{base}/jobs/summary", api.summary, methods=["GET"]),
        Route(f"{base}/job/success/{{name}}", api.mark_success, methods=["PUT"]),
        Route(f"{base}/job/stat/{{name}}", api.stat, methods=["GET"]),
        Route(f"{base}/job/{{name}}", api.get_job, methods=["GET"]),
        Route(f"{base}/job/{{name}}", api.run_job, methods=["PUT"]),
        Route(f"{base}/job/{{name}}", api.delete_job, methods=["DELETE"]),
        Route(f"{base}/iso8601", api.post_iso8601, methods=["POST"]),
        Route(f"{base}/dependency", api.post_dependency, methods=["POST", "PUT"]),
        Route(f"{base}/task/kill/{{name}}", api.kill_tasks, methods=["DELETE"]),
        Route(f"{base}/graph/dot", api.dot, methods=["GET"]),
        Route(f"{base}/graph/csv", api.csv, methods=["GET"]),
        Route(f"{base}/stats/{{percentile}}", api.percentile, methods=["GET"]),
        Route(f"{base}/leader", api.leader, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            HTTPException: _http_error,  # type: ignore[dict-item]
            UnmappedException: _unmapped,  # type: ignore[dict-item]
            Exception: _unexpected,
        },
    )


async def _http_error(request: Request, error: HTTPException) -> Response:
    if error.status_code == 405:
        return Response(status_code=405, headers=r.CORS_HEADERS)  # Jersey: no body
    return r.jetty_error_page(error.status_code, request.url.path)


async def _unmapped(request: Request, error: UnmappedException) -> Response:
    return r.jetty_error_page(500, request.url.path, cause=error.trace)


async def _unexpected(request: Request, error: Exception) -> Response:
    # A resource method's other exceptions: 500 ApiResult with the (JVM-looking) trace.
    trace = r.stack_trace("java.lang.RuntimeException", f"{type(error).__name__}: {error}", "management")
    return r.api_result(500, trace)


class _Resources:
    def __init__(self, node: ChronosNode) -> None:
        self._node = node

    @property
    def _scheduler(self) -> JobScheduler:
        return self._node.scheduler

    def _json(self, job: Job) -> dict[str, Any]:
        return job_to_json(job, gpu_build=self._node.options.gpu_build)

    def _job_or_none(self, request: Request) -> Job | None:
        return self._scheduler.graph.get(request.path_params["name"])

    async def ping(self, request: Request) -> Response:
        headers = {**r.CORS_HEADERS, "Cache-Control": "must-revalidate,no-cache,no-store"}
        return Response("pong\n", headers=headers, media_type="text/plain")

    async def list_jobs(self, request: Request) -> Response:
        gpu_build = self._node.options.gpu_build
        jobs = [job_for_listing(job, gpu_build=gpu_build) for job in self._scheduler.graph.values()]
        return r.json_response(jobs)

    async def search(self, request: Request) -> Response:
        params = request.query_params
        try:
            limit = int(params.get("limit", "10"))
            offset = int(params.get("offset", "0"))
        except ValueError:
            # Jersey answers a query parameter it cannot convert to Int with 404.
            return r.jetty_error_page(404, request.url.path)
        found = search_jobs(
            list(self._scheduler.graph.values()),
            name=params.get("name"),
            command=params.get("command"),
            any_field=params.get("any"),
        )
        return r.json_response([self._json(job) for job in found[offset : offset + limit]])

    async def summary(self, request: Request) -> Response:
        scheduler = self._scheduler
        jobs = [
            {
                "name": job.name,
                "status": job.last_status,
                "state": scheduler.state_of(job.name),
                "schedule": job.schedule if not job.is_dependent else "",
                "parents": list(job.parents or ()),
                "disabled": job.disabled,
            }
            for job in scheduler.graph.values()
        ]
        return r.json_response({"jobs": jobs})

    async def get_job(self, request: Request) -> Response:
        job = self._job_or_none(request)
        if job is None:
            return _not_found(request, "management")
        return r.json_response(self._json(job))

    async def run_job(self, request: Request) -> Response:
        if (refused := _unsupported_media_type(request)) is not None:
            return refused
        job = self._job_or_none(request)
        if job is None:
            return _not_found(request, "management")
        self._scheduler.trigger(job, request.query_params.get("arguments"))
        return r.no_content()

    async def delete_job(self, request: Request) -> Response:
        job = self._job_or_none(request)
        if job is None:
            name = request.path_params["name"]
            return r.bad_request(
                r.stack_trace(
                    "java.lang.IllegalArgumentException", f"JobSchedule '{name}' not found", "delete"
                )
            )
        await self._scheduler.delete(job)
        return r.no_content()

    async def mark_success(self, request: Request) -> Response:
        name = request.path_params["name"]
        marked = self._scheduler.mark_success(name)
        text = f"marked job {name} as successful: {'true' if marked else 'false'}"
        return Response(text, headers=r.CORS_HEADERS, media_type=r.JSON_TYPE)

    async def stat(self, request: Request) -> Response:
        job = self._job_or_none(request)
        if job is None:
            name = request.path_params["name"]
            return r.bad_request(
                r.stack_trace("java.lang.IllegalArgumentException", f"Job '{name}' not found", "stat")
            )
        # taskStatHistory needs Cassandra, which this cluster (like most) does not run.
        body = {"histogram": self._scheduler.stats.histogram(job.name), "taskStatHistory": []}
        return r.json_response(body)

    async def kill_tasks(self, request: Request) -> Response:
        job = self._job_or_none(request)
        if job is None:
            return _not_found(request, "kill")
        self._scheduler.kill_tasks(job.name)
        return r.no_content()

    async def dot(self, request: Request) -> Response:
        return Response(graph_dot(self._scheduler.graph), headers=r.CORS_HEADERS, media_type="text/plain")

    async def csv(self, request: Request) -> Response:
        text = graph_csv(self._scheduler.graph, self._scheduler.state_of)
        return Response(text, headers=r.CORS_HEADERS, media_type="text/plain")

    async def percentile(self, request: Request) -> Response:
        key = request.path_params["percentile"]
        if key not in _PERCENTILES:
            trace = r.stack_trace("java.util.NoSuchElementException", f"key not found: {key}")
            return r.api_result(500, trace)
        stats = self._scheduler.stats
        times: list[tuple[str, float]] = []
        for name in stats.job_names():
            value = stats.percentile(name, key)
            if value is not None and name in self._scheduler.graph:
                times.append((name, value / 1000.0))
        times.sort(key=lambda row: row[1], reverse=True)
        return r.json_response([{"jobNameLabel": name, "time": time} for name, time in times])

    async def leader(self, request: Request) -> Response:
        return r.json_response({"leader": await self._node.leader_id()})

    async def post_iso8601(self, request: Request) -> Response:
        if (refused := _unsupported_media_type(request)) is not None:
            return refused
        job = self._read_job(await request.body(), dependent=False)
        existing = self._scheduler.graph.get(job.name)
        schedule = parse_schedule(job.schedule, job.schedule_time_zone, self._scheduler.clock.now_datetime())
        if existing is None and not _JOB_NAME.fullmatch(job.name):
            return _invalid_name("iso8601")
        if schedule is None:
            return r.bad_request(f"Cannot parse schedule '{job.schedule}' (wtf bro)")
        if existing is None:
            if schedule.start < EPOCH_FLOOR:
                return r.bad_request(r.requirement_failed(
                    f"Scheduled start date '{format_datetime(schedule.start)}' is before 1970!", "iso8601"))
            if job.uris and job.fetch:
                return r.bad_request(r.requirement_failed(
                    f"Tried to add both uri (deprecated) and fetch parameters on {job.name}", "iso8601"))
        await self._persist(job)
        return r.no_content()

    async def post_dependency(self, request: Request) -> Response:
        if (refused := _unsupported_media_type(request)) is not None:
            return refused
        job = self._read_job(await request.body(), dependent=True)
        existing = self._scheduler.graph.get(job.name)
        if existing is None:
            if not _JOB_NAME.fullmatch(job.name):
                return _invalid_name("dependency")
            if not job.parents:
                return r.api_result(
                    500, r.stack_trace("java.lang.Exception", "Error, parent does not exist", "dependency")
                )
        elif not job.parents:
            return r.bad_request(r.requirement_failed("Error, parent does not exist", "dependency"))
        # Parents that do not exist are accepted here; the graph drops the job later.
        await self._persist(job)
        return r.no_content()

    def _read_job(self, body: bytes, *, dependent: bool) -> Job:
        node = parse_body(body)
        job = job_from_json(node, self._node.options, self._scheduler.clock.now_datetime())
        if job.is_dependent != dependent:
            # The body reader built the other case class than the resource method takes.
            wanted, got = ("Dependency", "Schedule") if dependent else ("Schedule", "Dependency")
            raise UnmappedException(
                "java.lang.ClassCastException",
                f"org.apache.mesos.chronos.scheduler.jobs.{got}BasedJob cannot be cast to "
                f"org.apache.mesos.chronos.scheduler.jobs.{wanted}BasedJob",
            )
        return job

    async def _persist(self, job: Job) -> None:
        # Create is asynchronous: only the store changes now; the leader's loop loads it.
        value = r.json_response(self._json(job)).body
        await self._scheduler.store.put(JOB_PREFIX + job.name, bytes(value))
        self._scheduler.notify()


def _unsupported_media_type(request: Request) -> Response | None:
    """``@Consumes(application/json)`` (and Jackson as the only body reader): Jersey refuses
    another declared content type with an empty 415; a request without one is let through,
    which is how ``curl -X PUT`` runs a job."""
    declared = request.headers.get("content-type")
    if declared is None:
        return None
    media = declared.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return None
    return Response(status_code=415, headers=r.CORS_HEADERS)


def _not_found(request: Request, where: str) -> Response:
    name = request.path_params["name"]
    return r.bad_request(r.requirement_failed(f"Job '{name}' not found", where))


def _invalid_name(where: str) -> Response:
    return r.bad_request(
        r.requirement_failed("the job's name is invalid. Allowed names: '([\\w\\.-]+)'", where)
    )
