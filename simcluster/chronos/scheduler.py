"""The leader's ``JobScheduler``: the main loop, the in-memory queue and the job graph.

Only the leader schedules. Its state that matters across failover (jobs, counts, the
framework id) is in the store; the queue, retry timers, summary states and histograms live in
memory and are lost on failover, as in Chronos 3. Mesos placement stands in for offers: a
dequeued task is handed to the master, which starts it or keeps it pending until an agent
fits; Chronos still calls the job "queued" until the task stages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import replace

from simcluster.chronos.constraints import constraints_satisfiable
from simcluster.chronos.due import due_jobs, graph_from_store
from simcluster.chronos.graph import DependencyTracker, children_of
from simcluster.chronos.job import Job
from simcluster.chronos.options import ChronosOptions
from simcluster.chronos.outcomes import after_failure, after_success, orphaned_child
from simcluster.chronos.queue import TaskQueue
from simcluster.chronos.schedule import parse_schedule, skip_forward
from simcluster.chronos.serializer import job_to_json
from simcluster.chronos.stats import RunStats
from simcluster.chronos.store import (
    FRAMEWORK_ID,
    JOB_PREFIX,
    JobStore,
    decode_framework_id,
    encode_framework_id,
)
from simcluster.chronos.tasks import (
    ChronosTaskId,
    log_fetches,
    parse_task_id,
    task_arguments,
    task_spec,
)
from simcluster.chronos.timers import SimTimers
from simcluster.clock import SimClock
from simcluster.mesos import MesosMaster, StatusUpdate, TaskState

log = logging.getLogger(__name__)

_ACTIVE = (TaskState.STAGING, TaskState.STARTING, TaskState.RUNNING)


class JobScheduler:
    def __init__(
        self,
        master: MesosMaster,
        clock: SimClock,
        store: JobStore,
        options: ChronosOptions,
        *,
        on_fatal: Callable[[str], None],
    ) -> None:
        self.master = master
        self.clock = clock
        self.store = store
        self.options = options
        self._on_fatal = on_fatal
        self.graph: dict[str, Job] = {}
        self.stats = RunStats()
        self.framework_id: str | None = None
        self.leading = False
        self.webui_url = ""
        self._queue = TaskQueue()
        self._running: dict[str, ChronosTaskId] = {}
        self._stuck_queued: set[str] = set()
        self._dependencies = DependencyTracker()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._timers = SimTimers(clock)
        self._writes: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    # -- leadership -------------------------------------------------------------------------

    async def start_leading(self) -> None:
        stored = await self.store.load()
        known_id = decode_framework_id(stored[FRAMEWORK_ID]) if FRAMEWORK_ID in stored else None
        capabilities = ["GPU_RESOURCES"] if self.options.gpu_resources else []
        framework = self.master.register_framework(
            self.options.framework_name,
            hostname=self.options.hostname,
            capabilities=capabilities,
            framework_id=known_id,
            webui_url=self.webui_url,
        )
        self.framework_id = framework.framework_id
        if known_id != framework.framework_id:
            await self.store.put(FRAMEWORK_ID, encode_framework_id(framework.framework_id))
        self._unsubscribe = self.master.subscribe(framework.framework_id, self._on_status)
        self.leading = True
        self._loop_task = asyncio.create_task(self._main_loop(), name="chronos main loop")
        self._timers.after(self.options.reconciliation_interval, self._reconcile)

    async def stop_leading(self) -> None:
        """Defeated or shut down: drop the driver, the graph and everything in memory."""
        was_leading, self.leading = self.leading, False
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        self._timers.cancel_all()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if was_leading and self.framework_id is not None:
            # Only the leader's driver may disconnect the (shared) framework.
            self.master.deactivate_framework(self.framework_id)
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        self.graph = {}
        self._queue.clear()
        self._running.clear()
        self._stuck_queued.clear()
        self._dependencies.reset()
        self.stats.reset()

    def notify(self) -> None:
        self._wake.set()

    # -- queries ----------------------------------------------------------------------------

    def state_of(self, name: str) -> str:
        count = sum(1 for task in self._running.values() if task.job_name == name)
        if count:
            return f"{count} running"
        if name in self._queue or name in self._stuck_queued:
            return "queued"
        return "idle"

    def running_task_ids(self, name: str) -> list[str]:
        return [key for key, task in self._running.items() if task.job_name == name]

    # -- commands from the API --------------------------------------------------------------

    def trigger(self, job: Job, arguments: str | None) -> None:
        now_millis = int(self.clock.now() * 1000)
        self._enqueue(job, ChronosTaskId(now_millis, 0, job.name, task_arguments(job, arguments)))
        self._drain()

    def mark_success(self, name: str) -> bool:
        job = self.graph.get(name)
        if job is None:
            return False
        self._save(after_success(job, self.clock.iso_now()))
        self._fire_children(name)
        return True

    def kill_tasks(self, name: str) -> None:
        for task_id in self.running_task_ids(name):
            self.master.kill(task_id)

    async def delete(self, job: Job) -> None:
        self.kill_tasks(job.name)
        queued = self._queue.drop(job.name)
        if queued is not None and queued.handed_over:
            self.master.cancel_pending(str(queued.task_id))
        if not job.is_dependent:
            for child in children_of(self.graph, job.name):
                self._save(orphaned_child(child, job, self.options))
        self.graph.pop(job.name, None)
        await self.store.delete(JOB_PREFIX + job.name)

    # -- the loop ---------------------------------------------------------------------------

    async def _main_loop(self) -> None:
        while self.leading:
            self._wake.clear()
            now = self.clock.now_datetime()
            try:
                self.graph = graph_from_store(await self.store.load(), self.options, now)
            except Exception as error:
                log.exception("Loading tasks or jobs failed. Exiting.")
                self._on_fatal(f"Loading tasks or jobs failed: {error}")
                return
            due, wait = due_jobs(self.graph, now, self.options.schedule_horizon)
            for job in due:
                task_id = ChronosTaskId(int(now.timestamp() * 1000), 0, job.name, task_arguments(job, None))
                self._enqueue(job, task_id)
            self._drain()
            with contextlib.suppress(TimeoutError):
                # A floor on the real pause keeps tiny periods from spinning the event loop.
                await asyncio.wait_for(self._wake.wait(), max(self.clock.real_seconds(wait), 0.005))

    def _enqueue(self, job: Job, task_id: ChronosTaskId) -> None:
        self._queue.add(task_id, high_priority=job.high_priority)
        self._stuck_queued.discard(job.name)

    def _drain(self) -> None:
        if not self.leading or self.framework_id is None:
            return
        for queued in self._queue.waiting():
            name = queued.task_id.job_name
            if not self._queue.is_current(queued):
                continue  # an earlier launch in this round changed the queue
            job = self.graph.get(name)
            if job is None or job.disabled:
                self._queue.drop(name)  # JobExpired: unknown or disabled jobs never run
                continue
            if self.running_task_ids(name) and not job.concurrent:
                self._queue.drop(name)  # dropped; a schedule re-enqueues it on a later loop
                continue
            if not constraints_satisfiable(job.constraints, self.master.agents.values()):
                continue  # "Insufficient resources or constraints not met"
            spec = task_spec(job, queued.task_id, self.options, self.master.hostname)
            queued.handed_over = True
            try:
                self.master.launch(self.framework_id, str(queued.task_id), spec)
            except ValueError:
                self._queue.drop(name)  # that task id already exists
            except Exception as error:
                # The agent could not even set the task up (e.g. a sandbox path too long). The
                # launch happened (the schedule moves on); the outcome is a state Chronos does
                # not know, so the job stays "queued".
                log.warning("launching %s failed: %s", queued.task_id, error)
                self._launched(queued.task_id)
                self._running.pop(str(queued.task_id), None)
                self._stuck_queued.add(name)

    # -- status updates ---------------------------------------------------------------------

    def _on_status(self, update: StatusUpdate) -> None:
        task_id = parse_task_id(update.task_id)
        if task_id is None:
            return
        name = task_id.job_name
        if update.state in _ACTIVE:
            if update.task_id not in self._running:
                self._launched(task_id)
            job, task = self.graph.get(name), self.master.task(update.task_id)
            if update.state is TaskState.STAGING and job is not None and task is not None:
                log_fetches(job, task.sandbox)
            return
        self._running.pop(update.task_id, None)
        self._queue.drop_task(update.task_id)
        if update.state is TaskState.FINISHED:
            self._finished(task_id)
        elif update.state in (TaskState.FAILED, TaskState.LOST):
            self._failed(task_id)
        elif update.state is not TaskState.KILLED:
            # "Unknown TaskState": not a failure, no retry; the summary keeps saying queued.
            self._stuck_queued.add(name)
        self.notify()

    def _launched(self, task_id: ChronosTaskId) -> None:
        name = task_id.job_name
        self._queue.drop_task(str(task_id))
        self._running[str(task_id)] = task_id
        job = self.graph.get(name)
        if job is None or job.is_dependent:
            return
        now = self.clock.now_datetime()
        schedule = parse_schedule(job.schedule, job.schedule_time_zone, now)
        if schedule is not None and schedule.start <= now:
            self._save(replace(job, schedule=str(skip_forward(schedule, now))))

    def _finished(self, task_id: ChronosTaskId) -> None:
        job = self.graph.get(task_id.job_name)
        if job is None:
            return
        self.stats.record(job.name, self.clock.now() * 1000 - task_id.due_millis)
        self._save(after_success(job, self.clock.iso_now(), finished_run=True))
        self._fire_children(job.name)

    def _failed(self, task_id: ChronosTaskId) -> None:
        job = self.graph.get(task_id.job_name)
        if job is None:
            return
        recently_fine = job.last_error == "" or job.last_success >= job.last_error
        if task_id.attempt < job.retries and recently_fine:
            self._timers.after(self.options.failure_retry, lambda: self._retry(task_id.retry()))
            return
        failed = after_failure(job, self.clock.iso_now(), self.options.disable_after_failures)
        self._save(failed)
        if failed.soft_error:
            self._fire_children(job.name)

    def _retry(self, task_id: ChronosTaskId) -> None:
        job = self.graph.get(task_id.job_name)
        if job is not None and self.leading:
            self._enqueue(job, task_id)
            self._drain()

    def _fire_children(self, parent: str) -> None:
        now_millis = int(self.clock.now() * 1000)
        for child in self._dependencies.parent_completed(self.graph, parent):
            self._enqueue(child, ChronosTaskId(now_millis, 0, child.name, task_arguments(child, None)))
        self._drain()

    def _reconcile(self) -> None:
        """Learn about tasks a previous leader started (every --reconciliation_interval)."""
        if self.framework_id is None or not self.leading:
            return
        for task in self.master.tasks(self.framework_id):
            parsed = parse_task_id(task.task_id)
            if parsed is not None and task.task_id not in self._running:
                self._running[task.task_id] = parsed
        self._timers.after(self.options.reconciliation_interval, self._reconcile)

    # -- helpers ----------------------------------------------------------------------------

    def _save(self, job: Job) -> None:
        self.graph[job.name] = job
        value = json.dumps(job_to_json(job, gpu_build=self.options.gpu_build)).encode("utf-8")
        write = self.store.put_soon(JOB_PREFIX + job.name, value)
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
