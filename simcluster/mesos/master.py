"""The in-process Mesos master: agents, frameworks, placement, task life cycle.

This is the contract Marathon and Chronos simulations code against (see simcluster/README.md).
All methods must be called from the asyncio loop that called :meth:`MesosMaster.start`.

Placement is direct instead of offer-based: a framework calls :meth:`launch`; the master puts
the task on the first agent that fits (non-GPU tasks prefer agents without free GPUs so they
do not starve GPU work) or keeps it pending, retrying on every "offer cycle" and whenever
resources are freed. A pending launch records per-reason decline counts so frameworks can
explain why it waits. Tasks belong to the master, not to the framework instance: when a
scheduler disconnects its tasks keep running and a re-registering instance with the same
framework id gets them back (``tasks(framework_id)``) and receives their future updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from simcluster.clock import SimClock
from simcluster.mesos.model import (
    Agent,
    Framework,
    PendingLaunch,
    StatusUpdate,
    Task,
    TaskSpec,
    TaskState,
)
from simcluster.mesos.placement import place
from simcluster.mesos.ports import PortAllocator
from simcluster.mesos.resources import Resources
from simcluster.mesos.runner import TaskRunner

log = logging.getLogger(__name__)

StatusListener = Callable[[StatusUpdate], None]

MESOS_VERSION = "1.9.0"
# Mesos keeps this many completed tasks per framework (--max_completed_tasks_per_framework).
MAX_COMPLETED_TASKS = 1000


@dataclass(frozen=True)
class AgentSpec:
    cpus: float
    mem: float
    disk: float
    gpus: int
    port_range: tuple[int, int]


class MesosMaster:
    """One Mesos master (the leading one) with its agents."""

    def __init__(
        self,
        agents: Iterable[AgentSpec],
        *,
        clock: SimClock,
        workdir: Path,
        hostname: str = "127.0.0.1",
        offer_interval: float = 0.25,
    ) -> None:
        self.clock = clock
        self.hostname = hostname
        self.port = 0  # set by the HTTP layer once bound
        self.master_id = str(uuid.uuid4())
        self.started_at = clock.now()
        self.version = MESOS_VERSION
        self._workdir = workdir
        self._offer_interval = offer_interval
        self._ports = PortAllocator(hostname)
        self.agents: dict[str, Agent] = {}
        for index, agent_spec in enumerate(agents):
            agent_id = f"{self.master_id}-S{index}"
            self.agents[agent_id] = Agent(
                agent_id=agent_id,
                hostname=hostname,
                port=0,
                total=Resources(agent_spec.cpus, agent_spec.mem, agent_spec.disk, agent_spec.gpus),
                port_range=agent_spec.port_range,
                registered_at=self.started_at,
            )
        self.frameworks: dict[str, Framework] = {}
        self._listeners: dict[str, list[StatusListener]] = {}
        self._tasks: dict[str, Task] = {}
        self._completed: deque[Task] = deque(maxlen=MAX_COMPLETED_TASKS)
        self._pending: dict[str, PendingLaunch] = {}
        self._runners: dict[str, TaskRunner] = {}
        self._offer_loop: asyncio.Task[None] | None = None

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._offer_loop = asyncio.create_task(self._offer_cycle())

    async def stop(self) -> None:
        if self._offer_loop is not None:
            self._offer_loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._offer_loop
        runners = list(self._runners.values())
        for runner in runners:
            runner.cancel()
        for runner in runners:
            await runner.wait()
        for task in self._tasks.values():
            self._ports.release(task.ports)

    # -- frameworks -------------------------------------------------------------------------

    def register_framework(
        self,
        name: str,
        *,
        hostname: str,
        capabilities: Iterable[str] = (),
        framework_id: str | None = None,
        webui_url: str = "",
    ) -> Framework:
        """Register a scheduler, or re-register (failover) when ``framework_id`` is known.

        ``capabilities`` uses Mesos names; without ``GPU_RESOURCES`` the framework is never
        given GPU agents (the master's default ``--filter_gpu_resources``)."""
        if framework_id is not None and framework_id in self.frameworks:
            framework = self.frameworks[framework_id]
            framework.active = True
            framework.hostname = hostname
            framework.webui_url = webui_url
            framework.capabilities = frozenset(capabilities)
            return framework
        new_id = framework_id or f"{self.master_id}-{len(self.frameworks):04d}"
        framework = Framework(
            framework_id=new_id,
            name=name,
            hostname=hostname,
            capabilities=frozenset(capabilities),
            registered_at=self.clock.now(),
            webui_url=webui_url,
        )
        self.frameworks[new_id] = framework
        return framework

    def deactivate_framework(self, framework_id: str) -> None:
        """The scheduler went away (failover): its tasks keep running, its pending launches die
        with it because they lived in the scheduler's memory."""
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        framework.active = False
        self._listeners.pop(framework_id, None)
        for task_id in [t for t, p in self._pending.items() if p.framework_id == framework_id]:
            del self._pending[task_id]

    def subscribe(self, framework_id: str, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener`` (on the loop, must not block) for each status update of the
        framework's tasks. Returns a function that unsubscribes."""
        listeners = self._listeners.setdefault(framework_id, [])
        listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.get(framework_id, []).remove(listener)

        return unsubscribe

    # -- tasks ------------------------------------------------------------------------------

    def launch(self, framework_id: str, task_id: str, spec: TaskSpec) -> Task | PendingLaunch:
        """Start ``spec`` as ``task_id`` now if an agent fits, else keep it pending."""
        if framework_id not in self.frameworks:
            raise KeyError(f"unknown framework {framework_id}")
        if task_id in self._tasks or task_id in self._pending:
            raise ValueError(f"task {task_id} already exists")
        pending = PendingLaunch(task_id, framework_id, spec, since=self.clock.now())
        task = self._try_place(pending)
        if task is not None:
            return task
        self._pending[task_id] = pending
        return pending

    def pending_launches(self, framework_id: str | None = None) -> list[PendingLaunch]:
        return [
            p for p in self._pending.values() if framework_id in (None, p.framework_id)
        ]

    def cancel_pending(self, task_id: str) -> bool:
        return self._pending.pop(task_id, None) is not None

    def kill(self, task_id: str) -> bool:
        """Kill a task (or drop a pending launch). Returns False when nothing was found."""
        if self.cancel_pending(task_id):
            return True
        task = self._tasks.get(task_id)
        if task is None:
            return False
        runner = self._runners.get(task_id)
        if runner is not None:
            runner.kill()
        return True

    def report_health(self, task_id: str, healthy: bool) -> None:
        """A Mesos-native (MESOS_HTTP/TCP) check changed its verdict: the executor sends a
        TASK_RUNNING update carrying ``healthy``, as Mesos does."""
        task = self._tasks.get(task_id)
        if task is None or task.state is not TaskState.RUNNING:
            return
        last = task.statuses[-1].healthy if task.statuses else None
        if last is not healthy:
            self._emit(task, TaskState.RUNNING, "", healthy=healthy)

    def task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id) or next(
            (t for t in self._completed if t.task_id == task_id), None
        )

    def tasks(self, framework_id: str | None = None) -> list[Task]:
        """Active (non-terminal) tasks, optionally of one framework."""
        return [t for t in self._tasks.values() if framework_id in (None, t.framework_id)]

    def completed_tasks(self, framework_id: str | None = None) -> list[Task]:
        return [t for t in self._completed if framework_id in (None, t.framework_id)]

    # -- internals --------------------------------------------------------------------------

    def _try_place(self, pending: PendingLaunch) -> Task | None:
        framework = self.frameworks[pending.framework_id]
        placement = place(list(self.agents.values()), framework, pending.spec, self._ports)
        pending.offers_processed += placement.offered
        pending.last_offer_at = self.clock.now()
        if placement.agent is not None:
            return self._start_task(pending, placement.agent, placement.ports)
        pending.reasons = placement.reasons
        pending.declined_by = placement.declined_by
        pending.offers_declined += placement.offered
        return None

    def _start_task(self, pending: PendingLaunch, agent: Agent, ports: list[int]) -> Task:
        container_id = str(uuid.uuid4())
        run_dir = (
            self._workdir / "slaves" / agent.agent_id / "frameworks" / pending.framework_id
            / "executors" / pending.task_id / "runs"
        )
        sandbox = run_dir / container_id
        sandbox.mkdir(parents=True, exist_ok=True)
        latest = run_dir / "latest"
        with contextlib.suppress(OSError):
            latest.unlink(missing_ok=True)
            latest.symlink_to(container_id)
        agent.used = agent.used + pending.spec.resources
        agent.used_ports.update(ports)
        task = Task(
            task_id=pending.task_id,
            framework_id=pending.framework_id,
            agent_id=agent.agent_id,
            hostname=agent.hostname,
            spec=pending.spec,
            ports=ports,
            sandbox=sandbox,
            container_id=container_id,
            staged_at=self.clock.now(),
        )
        self._tasks[task.task_id] = task
        self._pending.pop(task.task_id, None)
        self._emit(task, TaskState.STAGING, "")
        sockets = {p: s for p in ports if (s := self._ports.socket_for(p)) is not None}
        runner = TaskRunner(task, self.clock, self._emit_from_runner, sockets)
        self._runners[task.task_id] = runner
        runner.start()
        return task

    def _emit_from_runner(
        self, task: Task, state: TaskState, message: str, healthy: bool | None = None
    ) -> None:
        self._emit(task, state, message, healthy=healthy)

    def _emit(
        self,
        task: Task,
        state: TaskState,
        message: str,
        *,
        reason: str | None = None,
        healthy: bool | None = None,
    ) -> None:
        if task.state.terminal:
            return
        now = self.clock.now()
        if state is TaskState.RUNNING and task.started_at is None:
            task.started_at = now
        task.state = state
        update = StatusUpdate(
            task_id=task.task_id,
            framework_id=task.framework_id,
            agent_id=task.agent_id,
            state=state,
            timestamp=now,
            message=message,
            reason=reason,
            healthy=healthy,
        )
        task.statuses.append(update)
        if state.terminal:
            self._release(task)
        for listener in list(self._listeners.get(task.framework_id, [])):
            try:
                listener(update)
            except Exception:  # a broken scheduler must not break the master
                log.exception("status listener failed for %s", task.task_id)
        if state.terminal:
            self._place_pending()

    def _release(self, task: Task) -> None:
        agent = self.agents[task.agent_id]
        agent.used = agent.used - task.spec.resources
        agent.used_ports.difference_update(task.ports)
        self._ports.release(task.ports)
        self._tasks.pop(task.task_id, None)
        self._runners.pop(task.task_id, None)
        self._completed.append(task)

    def _place_pending(self) -> None:
        for pending in list(self._pending.values()):
            if pending.task_id in self._pending:
                self._try_place(pending)

    async def _offer_cycle(self) -> None:
        while True:
            await asyncio.sleep(self._offer_interval)
            try:
                self._place_pending()
            except Exception:
                log.exception("offer cycle failed")
