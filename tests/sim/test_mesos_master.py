"""The Mesos layer contract frameworks (Marathon, Chronos) build on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simcluster.clock import SimClock
from simcluster.mesos import (
    AgentSpec,
    DeclineReason,
    MesosMaster,
    PendingLaunch,
    Resources,
    StatusUpdate,
    Task,
    TaskSpec,
    TaskState,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio


@pytest.fixture
async def master(tmp_path: Path):
    agents = [AgentSpec(2, 1024, 1000, 0, (31000, 31100)), AgentSpec(2, 1024, 1000, 1, (31000, 31100))]
    mesos = MesosMaster(agents, clock=SimClock(), workdir=tmp_path)
    await mesos.start()
    yield mesos
    await mesos.stop()


async def test_a_batch_task_runs_its_duration_and_fails_with_its_exit_code(
    master: MesosMaster,
) -> None:
    framework = master.register_framework("chronos", hostname="127.0.0.1")
    updates: list[StatusUpdate] = []
    master.subscribe(framework.framework_id, updates.append)
    spec = TaskSpec("ChronosTask:job", Resources(cpus=0.5, mem=64), command="train.py",
                    kind="batch", duration=0.2, exit_code=2)
    task = master.launch(framework.framework_id, "ct:1:0:job:", spec)
    assert isinstance(task, Task)

    async def ended() -> bool:
        return bool(updates) and updates[-1].state.terminal

    await eventually(ended)
    assert [u.state for u in updates] == [
        TaskState.STAGING, TaskState.STARTING, TaskState.RUNNING, TaskState.FAILED]
    assert updates[-1].message == "Command exited with status 2"
    assert master.agents[task.agent_id].used == Resources()
    assert master.completed_tasks(framework.framework_id)[0].exit_code == 2


async def test_without_the_gpu_capability_a_framework_never_gets_gpu_agents(
    master: MesosMaster,
) -> None:
    framework = master.register_framework("chronos", hostname="127.0.0.1")
    spec = TaskSpec("cpu-only", Resources(cpus=0.1, mem=16), kind="batch")
    placed = master.launch(framework.framework_id, "t1", spec)
    assert isinstance(placed, Task)
    assert master.agents[placed.agent_id].total.gpus == 0
    gpu = master.launch(framework.framework_id, "t2",
                        TaskSpec("gpu", Resources(cpus=0.1, mem=16, gpus=1), kind="batch"))
    assert isinstance(gpu, PendingLaunch)
    assert gpu.reasons == {DeclineReason.INSUFFICIENT_GPUS: 2}  # one filtered, one without


async def test_a_request_that_does_not_fit_waits_with_reasons_until_resources_free(
    master: MesosMaster,
) -> None:
    framework = master.register_framework("marathon", hostname="h", capabilities=["GPU_RESOURCES"])
    big = TaskSpec("big", Resources(cpus=1.5, mem=512), kind="batch", duration=0.3)
    assert isinstance(master.launch(framework.framework_id, "a", big), Task)
    assert isinstance(master.launch(framework.framework_id, "b", big), Task)
    waiting = master.launch(framework.framework_id, "c", big)
    assert isinstance(waiting, PendingLaunch)
    assert waiting.reasons == {DeclineReason.INSUFFICIENT_CPUS: 2}

    async def placed() -> bool:
        return master.task("c") is not None

    await eventually(placed)
    assert master.pending_launches() == []


async def test_tasks_survive_a_scheduler_failover_and_report_to_the_new_one(
    master: MesosMaster,
) -> None:
    framework = master.register_framework("marathon", hostname="m1")
    spec = TaskSpec("svc", Resources(cpus=0.1, mem=16, ports=1))
    master.launch(framework.framework_id, "svc.1", spec)
    await asyncio.sleep(0.3)
    master.deactivate_framework(framework.framework_id)
    again = master.register_framework("marathon", hostname="m2",
                                      framework_id=framework.framework_id)
    assert again is framework and framework.active
    assert [t.task_id for t in master.tasks(framework.framework_id)] == ["svc.1"]
    updates: list[StatusUpdate] = []
    master.subscribe(framework.framework_id, updates.append)
    assert master.kill("svc.1")

    async def killed() -> bool:
        return bool(updates) and updates[-1].state is TaskState.KILLED

    await eventually(killed)
    assert [u.state for u in updates] == [TaskState.KILLING, TaskState.KILLED]


async def test_an_accelerated_clock_shortens_batch_durations(tmp_path: Path) -> None:
    fast = MesosMaster([AgentSpec(1, 256, 100, 0, (31200, 31210))], clock=SimClock(600.0),
                       workdir=tmp_path)
    await fast.start()
    try:
        framework = fast.register_framework("chronos", hostname="127.0.0.1")
        spec = TaskSpec("hour", Resources(cpus=0.1, mem=16), kind="batch", command="sleep 60")
        fast.launch(framework.framework_id, "ct:2:0:hour:", spec)

        async def finished() -> bool:
            task = fast.task("ct:2:0:hour:")
            return task is not None and task.state is TaskState.FINISHED

        await eventually(finished, timeout=2.0)  # 60 simulated seconds = 0.1 real seconds
    finally:
        await fast.stop()


def test_malformed_failure_knobs_fall_back_to_defaults() -> None:
    from simcluster.mesos.behaviour import behaviour_of

    spec = TaskSpec("x", Resources(cpus=0.1), env={"SIM_FAIL": "exit:three:soon",
                                                   "SIM_DURATION": "long"})
    behaviour = behaviour_of(spec)
    assert (behaviour.exit_code, behaviour.exit_after) == (1, 1.0)
    batch = behaviour_of(TaskSpec("y", Resources(), kind="batch", command="sleep 5; exit 4",
                                  env={"SIM_EXIT_CODE": "7"}))
    assert (batch.duration, batch.exit_code) == (5.0, 7)
