"""The fault suite: the gateway in front of a simulated cluster whose Marathon, Chronos and
Mesos master are made slow, erroring, HTML-speaking, connection-dropping or leaderless, with a
real ZooKeeper that goes away and comes back, an issuer whose JWKS fails, and 200 slow clients.

Each case states what the user sees. Every case also checks that nothing was created twice or
lost, and that once the fault ends the gateway serves again on its own (nobody restarts it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from gateway.devissuer import DEMO_GROUP, DevIssuer
from gateway.upstreams.chronos import READ_BACK_SETTLE
from simcluster.marathon.instance import MarathonInstance
from simcluster.server import ServedApp, bind_free_socket
from tests.e2e.fault_stack import SMALL, UPSTREAM_TIMEOUT, FaultStack, fault_stack
from tests.support.background import BackgroundLoop
from tests.support.zookeeper import ZooKeeperServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
IMAGE = "deephdc/deep-oc-image-classification-tf:cpu"
HTML = "<html><head><title>Error 500</title></head><body><h2>HTTP ERROR 500</h2></body></html>"


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    server = ZooKeeperServer(tmp_path_factory.mktemp("zookeeper"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(zookeeper: ZooKeeperServer) -> Iterator[FaultStack]:
    loop = BackgroundLoop()
    manager = fault_stack(zookeeper.hosts, loop)
    try:
        value = loop.run(manager.__aenter__())
        with value.client() as alice:
            job = {"name": "probe", "image": "deephdc/deep-oc-generic-dev:cpu",
                   "command": "true", "schedule": "R1/2030-01-01T00:00:00Z/P1D",
                   "hardware": SMALL}
            assert alice.post("/v1/jobs", json=job).status_code == 201
        yield value
        loop.run(manager.__aexit__(None, None, None))
    finally:
        loop.close()


@pytest.fixture
def faults(stack: FaultStack) -> Iterator[FaultStack]:
    stack.clear()
    yield stack
    stack.clear()


def _serves_again(stack: FaultStack, path: str) -> None:
    with stack.client() as alice:
        stack.wait(lambda: alice.get(path).status_code == 200)


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["detail"]
    if status == 503:
        assert int(response.headers["retry-after"]) > 0
    return body


# (scheduler, upstream path prefix, gateway route that reads through it). Deployments are
# listed from the read view that Marathon's event stream keeps, not read per request; what asks
# Marathon each time is a submission (the quota reads the owner's apps first).
READS = [
    ("marathon", "/v2/apps", "/v1/deployments"),
    ("chronos", "/v1/scheduler", "/v1/jobs"),
    ("mesos", "/master/state", "/v1/jobs/probe"),
]
# (fault, rule, what the user sees: status and code)
FAULTS = [
    ("slow past the timeout", {"latency": UPSTREAM_TIMEOUT + 1.0}, 503, "upstream_unavailable"),
    ("answering 500", {"status": 500, "body": {"message": "boom"}}, 502, "upstream_error"),
    ("answering an HTML page", {"status": 500, "html": True, "body": HTML}, 502,
     "upstream_error"),
    ("answering 503", {"status": 503, "body": {"message": "busy"}}, None, None),
]
# A 503 from the Mesos master means it is not the leader: the gateway waits for one, then says
# so with Retry-After. From Marathon and Chronos (behind a proxy) it is a failed call.
ANSWER_TO_503 = {"marathon": (502, "upstream_error"), "chronos": (502, "upstream_error"),
                 "mesos": (503, "upstream_unavailable")}


@pytest.mark.parametrize(("scheduler", "prefix", "route"), READS, ids=[r[0] for r in READS])
@pytest.mark.parametrize(("fault", "rule", "status", "code"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_failing_scheduler_is_a_clear_problem_and_the_gateway_recovers(
        faults, scheduler, prefix, route, fault, rule, status, code):
    before = _app_ids(faults)
    faults.fault(path=prefix, **rule)
    if status is None:
        status, code = ANSWER_TO_503[scheduler]
    with faults.client() as alice:
        if scheduler == "marathon":
            answer = alice.post(route, json={"image": IMAGE, "hardware": SMALL})
        else:
            answer = alice.get(route)
        body = _problem(answer, status, code)
        assert "Traceback" not in body["detail"] and "<html" not in body["detail"].lower()
    faults.clear()
    assert _app_ids(faults) == before
    _serves_again(faults, route)


def _app_ids(stack: FaultStack) -> list[str]:
    return sorted(app["id"] for app in stack.marathon_apps())


# /v1/me reads the caller's apps from Marathon for the quota use (shown as null, with the
# reason, when Marathon fails).
DROPS = [("marathon", "/v2/apps", "/v1/me"), *READS[1:]]


@pytest.mark.parametrize(("scheduler", "prefix", "route"), DROPS, ids=[r[0] for r in DROPS])
def test_a_read_whose_connection_drops_mid_answer_is_retried_and_succeeds(faults, scheduler,
                                                                          prefix, route):
    # A read is safe to repeat: the user sees a slower 200, never the dropped connection.
    faults.fault(path=prefix, method="GET", drop=True, times=1)
    with faults.client() as alice:
        answer = alice.get(route)
        assert answer.status_code == 200, answer.text
        if route == "/v1/me":
            assert answer.json()["quota"]["used"] is not None, answer.text
    assert all(rule.times == 0 for rule in faults.sim.faults.rules), "nothing was dropped"


# (fault on the first POST of a create, whether Marathon made the app before the answer failed)
CREATE_FAULTS = [
    ("slow past the timeout", {"latency": UPSTREAM_TIMEOUT + 0.5}),  # made late, after the retry
    ("dropped before Marathon saw it", {"drop": True}),
    ("dropped after Marathon made it", {"drop": True, "after": True}),
    ("answered past the timeout", {"latency": UPSTREAM_TIMEOUT + 0.5, "after": True}),
]


@pytest.mark.parametrize(("fault", "rule"), CREATE_FAULTS, ids=[f[0] for f in CREATE_FAULTS])
def test_a_create_whose_answer_fails_is_settled_by_the_gateway_into_exactly_one_app(faults,
                                                                                    fault, rule):
    # No Idempotency-Key: the gateway named the app, so it sends the create again; whether
    # the first attempt made the app or not, the user gets 202 and Marathon holds one app.
    description = f"create {fault}"
    faults.fault(path="/v2/apps", method="POST", times=1, **rule)
    with faults.client() as alice:
        made = alice.post("/v1/deployments", json={"image": IMAGE, "hardware": SMALL,
                                                   "description": description})
        assert made.status_code == 202, made.text
        assert "idempotent-replayed" not in made.headers
        time.sleep(1.0)  # a first attempt held back lands by now (and is refused: 409)
        mine = [app for app in faults.marathon_apps()
                if app["labels"].get("gateway.description") == description]
        assert [app["id"].rsplit("/", 1)[-1] for app in mine] == [made.json()["id"]]
        assert alice.delete(f"/v1/deployments/{made.json()['id']}").status_code == 204


def test_a_job_submission_slow_past_the_timeout_is_stored_once(faults):
    # Chronos has the create but is slow to act: the gateway reads the job back (not there
    # yet) and does not send it again, since the first send may still land; the user is told it
    # may have been applied. It lands, and the same Idempotency-Key gets that job back.
    job = {"name": "slow-submit", "image": "deephdc/deep-oc-generic-dev:cpu", "command": "true",
           "schedule": "R1/2030-01-01T00:00:00Z/P1D", "hardware": SMALL}
    faults.fault(path="/v1/scheduler/iso8601", method="POST",
                 latency=UPSTREAM_TIMEOUT + READ_BACK_SETTLE + 1.0, late=True, times=1)
    with faults.client() as alice:
        keyed = {"Idempotency-Key": "slow-submit-1"}
        first = _problem(alice.post("/v1/jobs", json=job, headers=keyed), 503,
                         "upstream_unavailable")
        assert "may have been applied" in first["detail"]
        faults.wait(lambda: any(n.endswith("-slow-submit") for n in faults.chronos_job_names()))
        unkeyed = alice.post("/v1/jobs", json=job)
        assert unkeyed.status_code == 422 and "GET /v1/jobs/slow-submit" in unkeyed.text
        again = alice.post("/v1/jobs", json=job, headers=keyed)
        assert again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert sum(n.endswith("-slow-submit") for n in faults.chronos_job_names()) == 1
        assert alice.delete("/v1/jobs/slow-submit").status_code == 204


def test_losing_the_marathon_leader_mid_request_is_invisible_to_the_user(faults):
    # The leader holds the request, then abdicates: the gateway asks the new leader.
    leader = faults.loop.run(_leader(faults))
    faults.fault(path="/v2/apps", method="GET", latency=1.0, times=1)
    with faults.client() as alice:
        answers: list[httpx.Response] = []
        reader = threading.Thread(target=lambda: answers.append(alice.get("/v1/me")))
        reader.start()
        time.sleep(0.3)
        httpx.post(f"{leader}/__sim__/leader-loss", timeout=10)
        reader.join(30)
        assert answers and answers[0].status_code == 200, answers and answers[0].text
        faults.wait(lambda: faults.loop.run(_leader(faults)) not in (None, leader))
        assert alice.get("/v1/deployments").status_code == 200


async def _leader(stack: FaultStack) -> str | None:
    leaders = [m.url for m in stack.sim.marathons if m.is_leader]
    return leaders[0] if leaders else None


def test_marathon_down_is_503_nothing_is_created_and_a_new_marathon_is_followed(faults):
    key = {"Idempotency-Key": "while-marathon-down"}
    body = {"image": IMAGE, "hardware": SMALL, "description": "while Marathon is down"}
    with faults.client() as alice:
        before = alice.get("/v1/deployments").json()["items"]
        for index in range(len(faults.sim.marathons)):
            faults.loop.run(faults.sim.kill_marathon(index))
        # The read view notices its stream end and its re-read fail, then reads ask Marathon.
        gone = faults.wait(lambda: (r := alice.get("/v1/deployments")).status_code != 200 and r)
        _problem(gone, 503, "upstream_unavailable")
        _problem(alice.post("/v1/deployments", json=body, headers=key), 503,
                 "upstream_unavailable")
        faults.loop.run(_add_marathon(faults))
        faults.wait(lambda: alice.get("/v1/deployments").status_code == 200, timeout=30)
        assert alice.get("/v1/deployments").json()["items"] == before  # nothing lost or added
        retry = alice.post("/v1/deployments", json=body, headers=key)
        assert retry.status_code == 202 and "idempotent-replayed" not in retry.headers
        assert alice.delete(f"/v1/deployments/{retry.json()['id']}").status_code == 204


async def _add_marathon(stack: FaultStack) -> None:
    sim = stack.sim
    instance = MarathonInstance(sim.master, sim.clock, sim.config, master_url=sim.mesos_url,
                                faults=sim.faults)
    sim.marathons.append(instance)
    await instance.start()


def test_the_mesos_master_down_is_503_for_what_needs_it_and_it_is_followed_back(faults):
    with faults.client() as alice:
        assert alice.get("/v1/jobs/probe").status_code == 200
        master = faults.loop.run(_stop_master(faults))
        try:
            _problem(alice.get("/v1/jobs/probe"), 503, "upstream_unavailable")
            assert alice.get("/v1/jobs").status_code == 200  # a listing needs only Chronos
        finally:
            faults.loop.run(_restart_master(faults, master))
        faults.wait(lambda: alice.get("/v1/jobs/probe").status_code == 200)


async def _stop_master(stack: FaultStack) -> ServedApp:
    # The master's server is the cluster's first; stopping it closes its port (refused).
    served = stack.sim._servers[0]
    assert served.port == stack.sim.master.port
    await served.stop()
    return served


async def _restart_master(stack: FaultStack, stopped: ServedApp) -> None:
    served = ServedApp(stopped.app, bind_free_socket(stopped.host, stopped.port))
    await served.start()
    stack.sim._servers[0] = served


def test_chronos_down_is_503_and_a_new_chronos_is_followed_without_losing_jobs(faults):
    with faults.client() as alice:
        before = {j["id"] for j in alice.get("/v1/jobs").json()["items"]}
        faults.loop.run(faults.sim.kill_chronos(0))
        _problem(alice.get("/v1/jobs"), 503, "upstream_unavailable")
        faults.loop.run(_add_chronos(faults))
        # The new leader loads the stored jobs in its main loop, a moment after it leads.
        faults.wait(lambda: _job_ids(alice) == before, timeout=30)


def _job_ids(client: httpx.Client) -> set[str] | None:
    answer = client.get("/v1/jobs")
    return {j["id"] for j in answer.json()["items"]} if answer.status_code == 200 else None


async def _add_chronos(stack: FaultStack) -> None:
    model = stack.sim.chronoses[0]
    instance = type(model)(stack.sim.master, stack.sim.clock, options=model.options,
                           zk_hosts=stack.sim.config.zk_hosts)
    stack.sim.chronoses.insert(0, instance)
    await instance.start()


def test_zookeeper_down_is_served_or_a_clear_503_and_everything_is_back_after(faults,
                                                                             zookeeper):
    # The gateway keeps the leaders it knew, and /readyz stays up saying it is stale. The
    # schedulers lose ZooKeeper too, and Marathon steps down without it: then the user gets a
    # 503 with Retry-After (never a 500), and once ZooKeeper is back everything is served
    # again, with nothing lost.
    with faults.client() as alice:
        assert alice.post("/v1/deployments", json={"image": IMAGE, "hardware": SMALL}) \
            .status_code == 202
        before = alice.get("/v1/deployments").json()["items"]
        # Ready first (a load balancer asks all the time): each scheduler was reached.
        faults.wait(lambda: alice.get("/readyz").status_code == 200)
        zookeeper.stop()
        try:
            faults.wait(lambda: alice.get("/readyz").json().get("stale") is True)
            assert alice.get("/readyz").status_code == 200
            during = alice.get("/v1/deployments")
            if during.status_code != 200:
                _problem(during, 503, "upstream_unavailable")
        finally:
            zookeeper.start()
        faults.wait(lambda: not alice.get("/readyz").json().get("stale")
                    and alice.get("/v1/deployments").status_code == 200, timeout=40)
        after = alice.get("/v1/deployments").json()["items"]
        assert [d["id"] for d in after] == [d["id"] for d in before]
        for deployment in after:
            assert alice.delete(f"/v1/deployments/{deployment['id']}").status_code == 204


@pytest.mark.parametrize("rule", [{"status": 500}, {"drop": True}, {"status": 200, "html": True},
                                  {"latency": 8.0}], ids=["500", "dropped", "html", "slow"])
def test_the_issuers_jwks_failing_does_not_lock_out_users_with_known_keys(faults, rule):
    # Keys fetched before stay in use: the issuer's outage is invisible to their users. A
    # token signed with a key the gateway never saw is refused at once (401), never left
    # hanging on the issuer.
    faults.loop.run(_issuer_fault(faults, {"path": "/", **rule}))
    stranger = DevIssuer(faults.settings.oidc_issuers[0], kid="rotated-key").mint(
        "carol", groups=(DEMO_GROUP,))
    with faults.client("bob") as bob:
        started = time.monotonic()
        assert bob.get("/v1/me").status_code == 200
        assert bob.get("/v1/deployments").status_code == 200
        refused = bob.get("/v1/me", headers={"Authorization": f"Bearer {stranger}"})
        _problem(refused, 401, "invalid_token")
        assert time.monotonic() - started < 7  # at most one key fetch, bounded by its timeout


async def _issuer_fault(stack: FaultStack, rule: dict) -> None:
    stack.issuer_faults.add(rule)


def test_200_slow_clients_do_not_starve_the_others(faults):
    host, port = faults.gateway_url.removeprefix("http://").split(":")
    slow: list[socket.socket] = []
    try:
        for _ in range(200):
            conn = socket.create_connection((host, int(port)), timeout=5)
            conn.sendall(b"POST /v1/deployments HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n")
            slow.append(conn)
        with faults.client() as alice:
            for _ in range(20):
                started = time.monotonic()
                assert alice.get("/v1/deployments").status_code == 200
                assert time.monotonic() - started < 5
            for conn in slow[:50]:  # they dribble on, a byte at a time
                conn.sendall(b"X")
            assert alice.get("/v1/modules").status_code == 200
    finally:
        for conn in slow:
            conn.close()
    _serves_again(faults, "/v1/deployments")


def test_nothing_was_left_behind_by_the_faults(stack):
    # Runs last in the module: every deployment a case made was deleted, every job but the probe.
    with stack.client() as alice:
        assert alice.get("/v1/deployments").json()["items"] == []
        assert [j["name"] for j in alice.get("/v1/jobs").json()["items"]] == ["probe"]


