"""One pass of Chronos' main loop over the stored jobs: rebuild the graph (every iteration
reloads all jobs from the store) and find the schedules that are due."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from simcluster.chronos.deserializer import job_from_json
from simcluster.chronos.graph import build_graph
from simcluster.chronos.job import Job
from simcluster.chronos.options import ChronosOptions
from simcluster.chronos.responses import UnmappedException
from simcluster.chronos.schedule import parse_schedule
from simcluster.chronos.store import JOB_PREFIX

log = logging.getLogger(__name__)


def graph_from_store(values: dict[str, bytes], options: ChronosOptions, now: datetime) -> dict[str, Job]:
    jobs = []
    for name, value in values.items():
        if not name.startswith(JOB_PREFIX):
            continue
        try:
            jobs.append(job_from_json(json.loads(value), options, now))
        except (UnmappedException, ValueError):
            log.warning("ignoring unreadable job entry %s", name)
    return build_graph(jobs)


def due_jobs(graph: dict[str, Job], now: datetime, horizon: float) -> tuple[list[Job], float]:
    """Enabled schedule-based jobs whose start has passed (and whose repeat count is not
    exhausted), and the simulated seconds until the next start within ``horizon``."""
    due: list[Job] = []
    wait = horizon
    for job in graph.values():
        if job.is_dependent or job.disabled:
            continue
        schedule = parse_schedule(job.schedule, job.schedule_time_zone, now)
        if schedule is None or schedule.repeat == 0:
            continue
        if schedule.start < now:
            due.append(job)
        else:
            wait = min(wait, (schedule.start - now).total_seconds())
    return due, max(wait, 0.001)
