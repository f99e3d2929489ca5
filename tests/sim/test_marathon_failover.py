"""Several Marathons in a real ZooKeeper: latch nodes, proxying standbys and failover."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
from collections.abc import Awaitable, Callable

import httpx
import pytest
from kazoo.client import KazooClient

from simcluster import SimCluster, SimConfig
from tests.support.waiting import eventually
from tests.support.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

LATCH_NAME = re.compile(
    r"^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-latch-\d{10}$"
)


def _zk_children(hosts: str, path: str) -> dict[str, bytes]:
    client = KazooClient(hosts=hosts)
    client.start(10)
    try:
        return {c: client.get(f"{path}/{c}")[0] for c in client.get_children(path)}
    finally:
        client.stop()
        client.close()


async def test_marathon_fails_over_keeping_apps_and_running_tasks(zk_hosts: str) -> None:
    config = SimConfig(agents=1, agent_cpus=4, marathon_instances=2, chronos_instances=0,
                       zk_hosts=zk_hosts)
    async with SimCluster(config) as sim:
        first, second = sim.marathons
        assert first.is_leader and not second.is_leader

        latches = _zk_children(zk_hosts, "/marathon/leader-curator")
        assert len(latches) == 2
        assert all(LATCH_NAME.match(name) for name in latches)
        by_seq = sorted(latches, key=lambda n: int(n.rsplit("latch-", 1)[1]))
        assert latches[by_seq[0]] == first.host_port.encode()
        assert latches[by_seq[1]] == second.host_port.encode()

        async with httpx.AsyncClient(base_url=second.url, timeout=10) as standby:
            created = await standby.post("/v2/apps", json={
                "id": "/survivor", "cmd": "serve", "cpus": 0.1, "mem": 32,
                "portDefinitions": [{"port": 0}]})
            assert created.status_code == 201
            assert created.headers["X-Marathon-Via"] == f"1.1 {second.host_port}"
            leader = (await standby.get("/v2/leader")).json()["leader"]
            assert leader == first.host_port
            events = await standby.get("/v2/events", headers={"Accept": "text/event-stream"})
            assert events.status_code == 302
            assert events.headers["location"] == f"http://{first.host_port}/v2/events"

            async def running() -> bool:
                app = (await standby.get("/v2/apps/survivor")).json()["app"]
                return app["tasksRunning"] == 1

            await eventually(running)
            task_before = (await standby.get("/v2/apps/survivor")).json()["app"]["tasks"][0]

            stuck = await standby.post("/v2/apps", json={"id": "/too-big", "cmd": "x",
                                                         "cpus": 64})
            stuck_plan = stuck.headers["Marathon-Deployment-Id"]

            await sim.kill_marathon(0)
            await eventually(_leads(second), timeout=15)
            plans = (await standby.get("/v2/deployments")).json()
            assert [p["id"] for p in plans] == [stuck_plan]
            assert sim.marathon_url == second.url

            app = (await standby.get("/v2/apps/survivor")).json()["app"]
            assert app["portDefinitions"][0]["port"] == 10000
            assert [t["id"] for t in app["tasks"]] == [task_before["id"]]
            assert app["tasks"][0]["state"] == "TASK_RUNNING"
            assert "X-Marathon-Via" not in (await standby.get("/ping")).headers
            assert (await standby.get("/v2/leader")).json()["leader"] == second.host_port

        async with httpx.AsyncClient(base_url=sim.mesos_url) as mesos:
            frameworks = (await mesos.get("/master/state")).json()["frameworks"]
        assert len(frameworks) == 1 and frameworks[0]["active"] is True
        assert len(_zk_children(zk_hosts, "/marathon/leader-curator")) == 1


def _leads(instance: object) -> object:
    async def probe() -> bool:
        return bool(getattr(instance, "is_leader", False))

    return probe


async def test_without_any_leader_marathon_answers_502_html(zk_hosts: str) -> None:
    config = SimConfig(agents=1, marathon_instances=2, chronos_instances=0, zk_hosts=zk_hosts,
                       faults=True)
    async with SimCluster(config) as sim:
        first, second = sim.marathons
        async with httpx.AsyncClient(timeout=10) as client:
            await client.post(f"{first.url}/__sim__/leader-loss", json={"rejoin": False})
            await eventually(_leads(second), timeout=15)
            await client.post(f"{second.url}/__sim__/leader-loss", json={"rejoin": False})
            response = await client.get(f"{first.url}/v2/apps")
            leader = await client.get(f"{second.url}/v2/leader")
        assert response.status_code == 502
        assert "Could not determine the current leader" in response.text
        assert response.headers["content-type"].startswith("text/html")
        assert leader.status_code == 502


async def test_a_leader_loss_fault_hands_leadership_to_the_standby(zk_hosts: str) -> None:
    config = SimConfig(agents=1, marathon_instances=2, chronos_instances=0, zk_hosts=zk_hosts,
                       faults=True)
    async with SimCluster(config) as sim:
        first, second = sim.marathons
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as client:
            assert (await client.post("/__sim__/leader-loss")).json() == {"abdicated": True}
            await eventually(_leads(second), timeout=15)
            proxied = await client.get("/v2/leader")
        assert proxied.json() == {"leader": second.host_port}
        assert proxied.headers["X-Marathon-Via"] == f"1.1 {first.host_port}"
        assert not first.is_leader


async def test_a_standby_with_credentials_forwards_the_callers_basic_auth(zk_hosts: str) -> None:
    config = SimConfig(agents=1, marathon_instances=2, chronos_instances=0, zk_hosts=zk_hosts,
                       credentials=("ops", "pw"))
    async with SimCluster(config) as sim:
        standby = sim.marathons[1]
        async with httpx.AsyncClient(base_url=standby.url, timeout=10) as client:
            refused = await client.get("/v2/apps")
            allowed = await client.get("/v2/apps", auth=("ops", "pw"))
        assert refused.status_code == 401
        assert allowed.status_code == 200 and allowed.json() == {"apps": []}
        assert allowed.headers["X-Marathon-Via"] == f"1.1 {standby.host_port}"


async def test_the_mesos_master_registers_master_info_under_mesos(zk_hosts: str) -> None:
    config = SimConfig(agents=1, marathon_instances=1, chronos_instances=0, zk_hosts=zk_hosts)
    async with SimCluster(config) as sim:
        nodes = _zk_children(zk_hosts, "/mesos")
        (name, data), = nodes.items()
        assert re.fullmatch(r"json\.info_\d{10}", name)
        info = json.loads(data)
        assert info["address"] == {"hostname": "127.0.0.1", "ip": "127.0.0.1",
                                   "port": sim.master.port}
        assert socket.inet_ntoa(struct.pack("<I", info["ip"])) == "127.0.0.1"
        assert info["ip"] == 16777343
        assert info["pid"] == f"master@127.0.0.1:{sim.master.port}"
        assert info["id"] == sim.master.master_id


async def test_a_crashed_leader_stays_named_until_its_session_expires(zk_hosts: str) -> None:
    config = SimConfig(agents=1, agent_cpus=4, marathon_instances=2, chronos_instances=0,
                       zk_hosts=zk_hosts)
    async with SimCluster(config) as sim:
        first, second = sim.marathons
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as standby:
            created = await standby.post("/v2/apps", json={
                "id": "/survivor", "cmd": "serve", "cpus": 0.1, "mem": 32,
                "portDefinitions": [{"port": 0}]})
            assert created.status_code == 201

            async def running() -> bool:
                app = (await standby.get("/v2/apps/survivor")).json()["app"]
                return app["tasksRunning"] == 1

            await eventually(running)
            task_before = (await standby.get("/v2/apps/survivor")).json()["app"]["tasks"][0]

            await sim.crash_marathon(0, session_timeout=2.0)
            async with httpx.AsyncClient() as direct:
                with pytest.raises(httpx.ConnectError):
                    await direct.get(f"{first.url}/ping")
            latches = _zk_children(zk_hosts, "/marathon/leader-curator")
            assert first.host_port.encode() in latches.values()
            during = await standby.get("/v2/apps")
            assert during.status_code == 502
            assert during.headers["content-type"].startswith("text/html")
            assert "Connection to leader refused." in during.text
            assert not second.is_leader

            await eventually(_leads(second), timeout=15)
            latches = _zk_children(zk_hosts, "/marathon/leader-curator")
            assert list(latches.values()) == [second.host_port.encode()]
            app = (await standby.get("/v2/apps/survivor")).json()["app"]
            assert [t["id"] for t in app["tasks"]] == [task_before["id"]]
            assert app["tasks"][0]["state"] == "TASK_RUNNING"
            assert (await standby.get("/v2/leader")).json() == {"leader": second.host_port}


async def test_a_stopped_standby_closes_its_connections_to_the_leader(zk_hosts: str) -> None:
    config = SimConfig(agents=1, marathon_instances=2, chronos_instances=0, zk_hosts=zk_hosts)
    async with SimCluster(config) as sim:
        standby = sim.marathons[1]
        async with httpx.AsyncClient(base_url=standby.url, timeout=10) as client:
            assert (await client.get("/v2/apps")).status_code == 200
        assert standby.proxy is not None and not standby.proxy.client.is_closed
        await sim.kill_marathon(1)
        assert standby.proxy.client.is_closed


async def test_a_leader_cut_off_from_zookeeper_stops_leading_and_one_leads_after(
    zookeeper_server: ZooKeeperServer, zk_hosts: str
) -> None:
    # Curator's LeaderLatch drops leadership when the connection is suspended and queues up
    # again once reconnected: never two leaders, and afterwards exactly one.
    config = SimConfig(agents=1, marathon_instances=2, chronos_instances=0, zk_hosts=zk_hosts)
    async with SimCluster(config) as sim:
        first, second = sim.marathons
        assert first.is_leader
        await asyncio.to_thread(zookeeper_server.stop)
        try:
            await eventually(_follows(first), timeout=15)
        finally:
            await asyncio.to_thread(zookeeper_server.start)

        async def one_leader() -> bool:
            return [first.is_leader, second.is_leader].count(True) == 1

        await eventually(one_leader, timeout=20)
        await eventually(_rejoined(zk_hosts, 2), timeout=10)


def _follows(instance: object) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return not getattr(instance, "is_leader", True)

    return probe


def _rejoined(hosts: str, count: int) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        nodes = await asyncio.to_thread(_zk_children, hosts, "/marathon/leader-curator")
        return len(nodes) == count

    return probe


async def test_a_crash_resets_the_connections_of_requests_in_progress(zk_hosts: str) -> None:
    # kill -9 answers nothing more: a request held inside the leader loses its connection,
    # though what it did (the app it made) stays for the next leader.
    config = SimConfig(agents=1, agent_cpus=4, marathon_instances=2, chronos_instances=0,
                       zk_hosts=zk_hosts, faults=True)
    async with SimCluster(config) as sim:
        leader = await sim.wait_for_marathon_leader()
        other = next(m for m in sim.marathons if m is not leader)
        assert sim.faults is not None
        held = sim.faults.add({"path": "/v2/apps", "method": "POST", "after": True,
                               "latency": 60.0, "times": 1})
        async with httpx.AsyncClient(base_url=leader.url, timeout=30) as client:
            posting = asyncio.create_task(client.post("/v2/apps", json={
                "id": "/held", "cmd": "serve", "cpus": 0.1, "mem": 32}))
            await eventually(lambda: held.times == 0 and "/held" in leader.scheduler.apps)
            await sim.crash_marathon(sim.marathons.index(leader), session_timeout=1.0)
            with pytest.raises(httpx.TransportError):
                await asyncio.wait_for(posting, 5)
        await eventually(_leads(other), timeout=15)
        assert "/held" in other.scheduler.apps
