"""Several simulated Chronos instances elect a leader in a real ZooKeeper exactly as Chronos'
Curator latch does, standbys proxy to the leader, and a new leader knows every job while the
tasks started by the old one keep running."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kazoo.client import KazooClient

from simcluster.chronos import ChronosInstance, ChronosOptions
from simcluster.chronos.standalone import ChronosCluster, standalone
from simcluster.chronos.store import decode_entry, decode_framework_id
from simcluster.mesos import TaskState
from tests.support.waiting import eventually
from tests.support.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

CANDIDATES = "/chronos/state/candidate"
STATE = "/chronos/state/state"
LATCH_NODE = re.compile(r"_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-latch-\d{10}")


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    server = ZooKeeperServer(Path(tmp_path_factory.mktemp("zookeeper")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def zk(zookeeper: ZooKeeperServer) -> Iterator[KazooClient]:
    client = KazooClient(hosts=zookeeper.hosts)
    client.start(10)
    client.delete("/chronos", recursive=True)
    yield client
    client.stop()
    client.close()


@pytest.fixture
async def pair(tmp_path: Path, zookeeper: ZooKeeperServer, zk: KazooClient) -> AsyncIterator[ChronosCluster]:
    async with standalone(
        tmp_path, time_scale=600, zk_hosts=f"zk://{zookeeper.hosts}/chronos", instances=2
    ) as running:
        await eventually(lambda: _true(running.chronos.is_leader))
        yield running




async def _true(value: bool) -> bool:
    return value


async def job_on(url: str, name: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=url) as http:
        answer = await http.get(f"/v1/scheduler/job/{name}")
    return answer.json() if answer.status_code == 200 else None


async def test_each_instance_holds_a_curator_latch_node_with_its_host_and_port(
    pair: ChronosCluster, zk: KazooClient
):
    children = sorted(zk.get_children(CANDIDATES), key=lambda c: c.rsplit("latch-", 1)[1])

    assert len(children) == 2 and all(LATCH_NODE.fullmatch(child) for child in children)
    datas = [zk.get(f"{CANDIDATES}/{child}")[0] for child in children]
    leader, standby = pair.instances
    assert datas == [f"127.0.0.1:{leader.port}".encode(), f"127.0.0.1:{standby.port}".encode()]
    assert leader.is_leader and not standby.is_leader
    assert zk.exists(f"{CANDIDATES}/{children[0]}").ephemeralOwner != 0


async def test_the_standby_proxies_every_call_to_the_leader(pair: ChronosCluster, zk: KazooClient):
    leader, standby = pair.instances
    async with httpx.AsyncClient(base_url=standby.url) as http:
        assert (await http.get("/v1/scheduler/leader")).json() == {"leader": leader.participant_id}
        created = await http.post(
            "/v1/scheduler/iso8601", json={"name": "via-standby", "schedule": "R/2030-01-01T00:00:00Z/P1D"}
        )
        assert created.status_code == 204
        job = await eventually(lambda: job_on(standby.url, "via-standby"))
        unknown = await http.get("/v1/scheduler/job/ghost")

    assert job == await job_on(leader.url, "via-standby")
    assert standby.scheduler.graph == {}  # the standby itself schedules nothing
    # The leader's error status comes through, its body does not.
    assert unknown.status_code == 400 and unknown.content == b""


async def test_jobs_and_the_framework_id_are_mesos_state_entries_in_zookeeper(
    pair: ChronosCluster, zk: KazooClient
):
    async with httpx.AsyncClient(base_url=pair.chronos.url) as http:
        await http.post(
            "/v1/scheduler/iso8601", json={"name": "stored", "schedule": "R/2030-01-01T00:00:00Z/P1D"}
        )

    data, _ = zk.get(f"{STATE}/J_stored")
    entry = decode_entry(data)
    assert entry is not None and entry[0] == "J_stored"
    assert json.loads(entry[1])["name"] == "stored"
    framework_entry = decode_entry(zk.get(f"{STATE}/frameworkId")[0])
    assert framework_entry is not None
    assert decode_framework_id(framework_entry[1]) in pair.master.frameworks


async def test_a_new_leader_knows_every_job_and_running_tasks_survive_the_failover(pair: ChronosCluster):
    leader, standby = pair.instances
    async with httpx.AsyncClient(base_url=leader.url) as http:
        for name in ("alpha", "beta", "gamma"):
            await http.post(
                "/v1/scheduler/iso8601",
                json={"name": name, "command": "true", "schedule": "R/2030-01-01T00:00:00Z/P1D"},
            )
        await http.post("/v1/scheduler/iso8601", json={"name": "long", "command": "sleep 1800"})
        await eventually(lambda: _running_tasks(pair))
    framework_id = leader.scheduler.framework_id

    await leader.kill()
    await eventually(lambda: _true(standby.is_leader))

    async with httpx.AsyncClient(base_url=standby.url) as http:
        names = await eventually(lambda: _job_names(http, 4))
        assert (await http.get("/v1/scheduler/leader")).json() == {"leader": standby.participant_id}
        # Chronos forgets running tasks on failover: idle until reconciliation.
        summary = (await http.get("/v1/scheduler/jobs/summary")).json()["jobs"]
    assert names == {"alpha", "beta", "gamma", "long"}
    assert {job["name"]: job["state"] for job in summary}["long"] == "idle"
    assert standby.scheduler.framework_id == framework_id
    assert pair.master.frameworks[framework_id].active
    [task] = pair.master.tasks(framework_id)
    assert task.state is TaskState.RUNNING
    # Reconciliation (600 simulated seconds) teaches the new leader about the running task.
    await eventually(lambda: _state_is(standby.url, "long", "1 running"))
    # When the old leader's task ends, the new leader counts it.
    job = await eventually(lambda: _with_success(standby.url, "long"), timeout=15)
    assert job["successCount"] == 1


async def test_a_standby_that_cannot_reach_the_leader_answers_the_proxy_error_page(
    tmp_path: Path, zookeeper: ZooKeeperServer, zk: KazooClient
):
    # A leader that advertises an address nobody listens on (the Docker bridge problem).
    zk.create(
        f"{CANDIDATES}/_c_00000000-0000-0000-0000-000000000000-latch-",
        b"127.0.0.1:9",
        ephemeral=True,
        sequence=True,
        makepath=True,
    )
    async with standalone(tmp_path, zk_hosts=zookeeper.hosts) as running:
        instance: ChronosInstance = running.chronos
        async with httpx.AsyncClient(base_url=instance.url) as http:
            answer = await http.get("/v1/scheduler/jobs")
    assert not instance.is_leader
    assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/html")
    assert "Error proxying request to leader (maybe the leadership just changed?)" in answer.text
    assert "Error:\njava.net.ConnectException" in answer.text


async def _running_tasks(cluster: ChronosCluster) -> bool:
    return any(t.state is TaskState.RUNNING for t in cluster.master.tasks())


async def _job_names(http: httpx.AsyncClient, count: int) -> set[str] | None:
    names = {job["name"] for job in (await http.get("/v1/scheduler/jobs")).json()}
    return names if len(names) == count else None


async def _state_is(url: str, name: str, state: str) -> bool:
    async with httpx.AsyncClient(base_url=url) as http:
        jobs = (await http.get("/v1/scheduler/jobs/summary")).json()["jobs"]
    return any(job["name"] == name and job["state"] == state for job in jobs)


async def _with_success(url: str, name: str) -> dict[str, Any] | None:
    job = await job_on(url, name)
    return job if job is not None and job["successCount"] == 1 else None


async def test_a_killed_leader_restarts_as_a_standby_on_the_same_address(
    pair: ChronosCluster, zk: KazooClient
):
    leader, standby = pair.instances
    address = leader.participant_id
    await leader.kill()
    await eventually(lambda: _true(standby.is_leader))

    await leader.start()

    assert leader.participant_id == address and not leader.is_leader
    children = sorted(zk.get_children(CANDIDATES), key=lambda c: c.rsplit("latch-", 1)[1])
    assert [zk.get(f"{CANDIDATES}/{c}")[0].decode() for c in children] == [standby.participant_id, address]
    async with httpx.AsyncClient(base_url=leader.url) as http:
        assert (await http.get("/v1/scheduler/leader")).json() == {"leader": standby.participant_id}


async def test_the_standby_forwards_basic_credentials_to_the_leader(
    tmp_path: Path, zookeeper: ZooKeeperServer, zk: KazooClient
):
    options = ChronosOptions(http_credentials="ops:pw")
    async with standalone(tmp_path, zk_hosts=zookeeper.hosts, instances=2, options=options) as running:
        await eventually(lambda: _true(running.chronos.is_leader))
        standby = running.instances[1]
        async with httpx.AsyncClient(base_url=standby.url) as http:
            refused = await http.get("/v1/scheduler/jobs")
            allowed = await http.get("/v1/scheduler/leader", auth=("ops", "pw"))
    assert refused.status_code == 401
    assert allowed.json() == {"leader": running.chronos.participant_id}


async def test_a_crashed_leader_is_still_named_until_its_session_ends_so_standbys_answer_500(
    pair: ChronosCluster,
):
    leader, standby = pair.instances

    await leader.crash(session_timeout=1.0)

    async with httpx.AsyncClient(base_url=standby.url) as http:
        during = await http.get("/v1/scheduler/jobs")
        assert (await http.get("/v1/scheduler/leader")).status_code == 500
        await eventually(lambda: _true(standby.is_leader))
        after = await http.get("/v1/scheduler/jobs")
    assert during.status_code == 500
    assert "Error proxying request to leader (maybe the leadership just changed?)" in during.text
    assert after.status_code == 200

    # Restarted, the crashed process rejoins behind the new leader.
    await leader.start()
    async with httpx.AsyncClient(base_url=leader.url) as http:
        assert (await http.get("/v1/scheduler/leader")).json() == {"leader": standby.participant_id}


async def test_after_a_zookeeper_outage_one_instance_leads_again_and_knows_the_jobs(
    pair: ChronosCluster, zookeeper: ZooKeeperServer
):
    async with httpx.AsyncClient(base_url=pair.chronos.url) as http:
        await http.post(
            "/v1/scheduler/iso8601", json={"name": "kept", "schedule": "R/2030-01-01T00:00:00Z/P1D"}
        )
    await eventually(lambda: job_on(pair.chronos.url, "kept"))

    await asyncio.to_thread(zookeeper.stop)
    await asyncio.sleep(0.5)
    await asyncio.to_thread(zookeeper.start)

    # Chronos either re-queues in the latch (Curator resets on reconnection) or exits on the
    # ZooKeeper error (System.exit); either way somebody leads again.
    leader = await eventually(lambda: _leader_of(pair), timeout=20)
    assert await eventually(lambda: job_on(leader.url, "kept"))
    assert sum(1 for instance in pair.instances if instance.is_leader) == 1


async def _leader_of(cluster: ChronosCluster) -> ChronosInstance | None:
    return next((i for i in cluster.instances if i.alive and i.is_leader), None)
