"""Calls carried across a leader change: retried where repeating cannot do anything twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.discovery import Leader, Scheduler
from gateway.errors import UpstreamUnavailable
from gateway.upstreams.chronos import chronos_has_no_leader
from gateway.upstreams.marathon import marathon_has_no_leader
from gateway.upstreams.upstream import LandedCheck, UpstreamClient

OLD = Leader("http://marathon-1:8080")
NEW = Leader("http://marathon-2:8080")
NO_LEADER_502 = "<html><body><h2>HTTP ERROR 502</h2><p>Could not determine the current leader</p>"


class ElectionInProgress:
    """A leader source whose current leader is ``current`` until ``fail_over`` makes
    ``following`` the leader (as ZooKeeper would once the current one is gone)."""

    def __init__(self, current: Leader | None, following: Leader | None) -> None:
        self.current, self.following = current, following
        self.waits: list[tuple[Leader | None, float]] = []
        self._elected = asyncio.Event()

    def fail_over(self) -> None:
        self.current = self.following
        self._elected.set()

    def leader(self, scheduler: Scheduler) -> Leader | None:
        return self.current

    async def wait_for_change(self, scheduler: Scheduler, previous: Leader | None,
                              timeout: float) -> Leader | None:
        self.waits.append((previous, timeout))
        if self.current is None:
            self.fail_over()  # the election that was in progress ends
        if self.current == previous:
            try:
                await asyncio.wait_for(self._elected.wait(), timeout)
            except TimeoutError:
                return None
        if self.current == previous:  # no other leader comes
            await asyncio.sleep(timeout)
            return None
        return self.current

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> dict[str, object]:
        return {}


class Upstreams:
    """Records every request; the old leader fails as the test says (and ZooKeeper then fails
    over), the new one answers 200."""

    def __init__(self, old_leader_fails: Exception | httpx.Response) -> None:
        self.failure = old_leader_fails
        self.sent: list[tuple[str, str]] = []
        self.leaders: ElectionInProgress | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, str(request.url.host)))
        if request.url.host == "marathon-1" or request.url.host == "chronos-1":
            if self.leaders is not None:
                self.leaders.fail_over()
            if isinstance(self.failure, Exception):
                raise self.failure
            return self.failure
        return httpx.Response(200, json={"ok": True})


def call(upstreams: Upstreams, leaders: ElectionInProgress, method: str, *, idempotent: bool,
         scheduler: Scheduler = "marathon", unprocessed: bool = False, creates: bool = False,
         leader_wait: float = 2.0, landed: LandedCheck | None = None) -> httpx.Response:
    upstreams.leaders = leaders

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstreams)) as http:
            no_leader = marathon_has_no_leader if scheduler == "marathon" else chronos_has_no_leader
            client = UpstreamClient(scheduler, http, leaders, no_leader=no_leader,
                                    leader_wait=leader_wait, no_leader_is_unprocessed=unprocessed)
            return await client.request(method, "/v2/apps", idempotent=idempotent,
                                        creates=creates, landed=landed)

    return asyncio.run(run())


def refused() -> httpx.ConnectError:
    return httpx.ConnectError("[Errno 111] Connection refused")


def test_a_listing_that_meets_a_dead_leader_is_answered_by_the_next_one():
    upstreams, leaders = Upstreams(refused()), ElectionInProgress(OLD, NEW)
    response = call(upstreams, leaders, "GET", idempotent=True)
    assert response.status_code == 200
    assert upstreams.sent == [("GET", "marathon-1"), ("GET", "marathon-2")]


def test_a_submission_whose_connection_was_refused_is_sent_to_the_next_leader_once():
    upstreams = Upstreams(refused())
    response = call(upstreams, ElectionInProgress(OLD, NEW), "POST", idempotent=False)
    assert response.status_code == 200
    assert upstreams.sent == [("POST", "marathon-1"), ("POST", "marathon-2")]


def test_a_submission_whose_connection_timed_out_is_sent_to_the_next_leader_once():
    # A leader whose machine died drops the SYN: the request never left, as when refused.
    upstreams = Upstreams(httpx.ConnectTimeout("timed out"))
    response = call(upstreams, ElectionInProgress(OLD, NEW), "POST", idempotent=False)
    assert response.status_code == 200
    assert upstreams.sent == [("POST", "marathon-1"), ("POST", "marathon-2")]


@pytest.mark.parametrize("lost", [httpx.ReadError("connection reset"),
                                  httpx.RemoteProtocolError("Server disconnected")])
def test_a_submission_that_lost_its_answer_is_never_sent_twice(lost):
    upstreams = Upstreams(lost)
    with pytest.raises(UpstreamUnavailable) as error:
        call(upstreams, ElectionInProgress(OLD, NEW), "POST", idempotent=False)
    assert upstreams.sent == [("POST", "marathon-1")]
    assert "may have been applied" in error.value.detail


@pytest.mark.parametrize("lost", [httpx.ReadError("connection reset"),
                                  httpx.RemoteProtocolError("Server disconnected"),
                                  httpx.ReadTimeout("timed out")],
                         ids=lambda lost: type(lost).__name__)
def test_a_create_of_a_name_the_gateway_chose_that_lost_its_answer_is_sent_again(lost):
    # The second answer settles the first: made now, or "already exists" (read by the caller).
    upstreams = Upstreams(lost)
    response = call(upstreams, ElectionInProgress(OLD, NEW), "POST", idempotent=False,
                    creates=True)
    assert response.status_code == 200
    assert upstreams.sent == [("POST", "marathon-1"), ("POST", "marathon-2")]


def test_a_create_no_attempt_of_which_was_answered_may_have_been_applied():
    upstreams = Upstreams(httpx.RemoteProtocolError("Server disconnected"))
    with pytest.raises(UpstreamUnavailable) as error:
        call(upstreams, ElectionInProgress(OLD, OLD), "POST", idempotent=False, creates=True)
    assert upstreams.sent == [("POST", "marathon-1"), ("POST", "marathon-1")]
    assert "may have been applied" in error.value.detail


class ReadBack:
    """A ``landed`` check that records being asked and answers as the test says."""

    def __init__(self, answer: httpx.Response | Exception | None) -> None:
        self.answer, self.asked = answer, 0

    async def __call__(self) -> httpx.Response | None:
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


CHRONOS_OLD, CHRONOS_NEW = Leader("http://chronos-1:4400"), Leader("http://chronos-2:4400")
LOST_ON_THE_WAY = [httpx.ReadError("connection reset"),
                   httpx.RemoteProtocolError("Server disconnected"),
                   httpx.Response(500, text="Error proxying request to leader (maybe the "
                                            "leadership just changed?)")]


@pytest.mark.parametrize("lost", LOST_ON_THE_WAY, ids=["ReadError", "Disconnected", "no leader"])
def test_a_write_read_back_as_landed_is_not_sent_again_and_answers_as_it_would_have(lost):
    upstreams, read_back = Upstreams(lost), ReadBack(httpx.Response(204))
    response = call(upstreams, ElectionInProgress(CHRONOS_OLD, CHRONOS_NEW), "POST",
                    idempotent=False, scheduler="chronos", landed=read_back)
    assert response.status_code == 204
    assert upstreams.sent == [("POST", "chronos-1")] and read_back.asked == 1


@pytest.mark.parametrize("lost", LOST_ON_THE_WAY, ids=["ReadError", "Disconnected", "no leader"])
def test_a_write_read_back_as_absent_is_sent_again_once(lost):
    upstreams, read_back = Upstreams(lost), ReadBack(None)
    response = call(upstreams, ElectionInProgress(CHRONOS_OLD, CHRONOS_NEW), "POST",
                    idempotent=False, scheduler="chronos", landed=read_back)
    assert response.status_code == 200
    assert upstreams.sent == [("POST", "chronos-1"), ("POST", "chronos-2")]


@pytest.mark.parametrize(("found", "status"), [(httpx.Response(204), 204), (None, 503)],
                         ids=["landed", "not yet"])
def test_a_slow_write_is_only_read_back_never_sent_again(found, status):
    # The slow leader may still act on the first send: a second one could land after it.
    upstreams, read_back = Upstreams(httpx.ReadTimeout("timed out")), ReadBack(found)
    leaders = ElectionInProgress(CHRONOS_OLD, CHRONOS_OLD)
    if found is None:
        with pytest.raises(UpstreamUnavailable) as error:
            call(upstreams, leaders, "POST", idempotent=False, scheduler="chronos",
                 landed=read_back)
        assert "may have been applied" in error.value.detail
    else:
        assert call(upstreams, leaders, "POST", idempotent=False, scheduler="chronos",
                    landed=read_back).status_code == status
    assert upstreams.sent == [("POST", "chronos-1")] and read_back.asked == 1


def test_a_write_that_cannot_be_read_back_may_have_been_applied_and_is_not_sent_again():
    upstreams = Upstreams(httpx.ReadError("connection reset"))
    read_back = ReadBack(UpstreamUnavailable("Chronos is unavailable"))
    with pytest.raises(UpstreamUnavailable) as error:
        call(upstreams, ElectionInProgress(CHRONOS_OLD, CHRONOS_NEW), "POST", idempotent=False,
             scheduler="chronos", landed=read_back)
    assert "may have been applied" in error.value.detail
    assert upstreams.sent == [("POST", "chronos-1")]


def test_a_listing_that_lost_its_answer_is_repeated_on_the_next_leader():
    upstreams = Upstreams(httpx.RemoteProtocolError("Server disconnected"))
    assert call(upstreams, ElectionInProgress(OLD, NEW), "GET", idempotent=True).status_code == 200


def test_a_slow_leader_is_not_waited_for_twice():
    upstreams = Upstreams(httpx.ReadTimeout("timed out"))
    with pytest.raises(UpstreamUnavailable):
        call(upstreams, ElectionInProgress(OLD, NEW), "GET", idempotent=True)
    assert upstreams.sent == [("GET", "marathon-1")]


@pytest.mark.parametrize("status", [502, 503])
def test_marathons_could_not_determine_the_leader_answer_is_retried_for_reads(status):
    upstreams = Upstreams(httpx.Response(status, text=NO_LEADER_502))
    assert call(upstreams, ElectionInProgress(OLD, NEW), "GET", idempotent=True).status_code == 200
    assert len(upstreams.sent) == 2


def test_a_submission_marathon_refused_for_want_of_a_leader_goes_to_the_next_leader_once():
    upstreams = Upstreams(httpx.Response(502, text=NO_LEADER_502))
    response = call(upstreams, ElectionInProgress(OLD, NEW), "POST", idempotent=False,
                    unprocessed=True)
    assert response.status_code == 200
    assert upstreams.sent == [("POST", "marathon-1"), ("POST", "marathon-2")]


def test_a_no_leader_answer_that_may_hide_a_proxied_submission_is_a_503_without_a_retry():
    upstreams = Upstreams(httpx.Response(
        500, text="Error proxying request to leader (maybe the leadership just changed?)"))
    leaders = ElectionInProgress(Leader("http://chronos-1:4400"), Leader("http://chronos-2:4400"))
    with pytest.raises(UpstreamUnavailable) as error:
        call(upstreams, leaders, "POST", idempotent=False, scheduler="chronos")
    assert upstreams.sent == [("POST", "chronos-1")]
    problem = error.value.problem()
    assert problem["status"] == 503
    assert problem["scheduler"] == "chronos"
    assert problem["detail"].startswith("Chronos is unavailable: it has no leader")
    assert "may have been applied" in problem["detail"]
    assert error.value.headers["Retry-After"]


def test_chronos_error_proxying_to_the_leader_is_retried_for_reads():
    upstreams = Upstreams(httpx.Response(
        500, text="Error proxying request to leader (maybe the leadership just changed?)"))
    leaders = ElectionInProgress(Leader("http://chronos-1:4400"), Leader("http://chronos-2:4400"))
    response = call(upstreams, leaders, "GET", idempotent=True, scheduler="chronos")
    assert response.status_code == 200
    assert [host for _, host in upstreams.sent] == ["chronos-1", "chronos-2"]


def test_an_ordinary_server_error_is_returned_to_the_client_not_retried():
    upstreams = Upstreams(httpx.Response(500, text="java.lang.NullPointerException"))
    response = call(upstreams, ElectionInProgress(Leader("http://chronos-1:4400"), None), "GET",
                    idempotent=True, scheduler="chronos")
    assert response.status_code == 500
    assert len(upstreams.sent) == 1


def test_while_no_leader_is_known_a_call_waits_for_one_then_goes_out_once():
    upstreams = Upstreams(refused())
    leaders = ElectionInProgress(None, NEW)
    assert call(upstreams, leaders, "POST", idempotent=False).status_code == 200
    assert upstreams.sent == [("POST", "marathon-2")]
    assert leaders.waits == [(None, 2.0)]


def test_when_no_leader_comes_the_caller_gets_a_503_saying_which_scheduler():
    upstreams = Upstreams(refused())
    with pytest.raises(UpstreamUnavailable) as error:
        call(upstreams, ElectionInProgress(None, None), "GET", idempotent=True, scheduler="chronos",
             leader_wait=0.3)
    assert upstreams.sent == []
    assert error.value.problem()["scheduler"] == "chronos"
    assert "Chronos" in error.value.detail


def test_when_the_next_leader_is_dead_too_and_no_other_comes_the_call_fails():
    upstreams = Upstreams(refused())
    with pytest.raises(UpstreamUnavailable):
        call(upstreams, ElectionInProgress(OLD, Leader("http://marathon-1:8081")), "GET",
             idempotent=True, leader_wait=0.3)
    assert len(upstreams.sent) == 2


def test_a_new_leader_still_taking_office_is_asked_again_until_it_answers():
    answers = iter([httpx.Response(502, text=NO_LEADER_502), httpx.Response(502, text=NO_LEADER_502),
                    httpx.Response(200, json={"apps": []})])
    sent: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url.host))
        if request.url.host == "marathon-1":
            raise refused()
        return next(answers)

    leaders = ElectionInProgress(OLD, NEW)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
            client = UpstreamClient("marathon", http, leaders, no_leader=marathon_has_no_leader,
                                    leader_wait=2.0, no_leader_is_unprocessed=True)
            leaders.fail_over()
            return await client.request("POST", "/v2/apps", json={"id": "/a"}, idempotent=False)

    assert asyncio.run(run()).status_code == 200
    assert sent == ["marathon-2", "marathon-2", "marathon-2"]


def test_a_submission_that_may_have_been_acted_on_is_not_asked_again():
    upstreams = Upstreams(httpx.Response(
        500, text="Error proxying request to leader (maybe the leadership just changed?)"))
    leaders = ElectionInProgress(Leader("http://chronos-1:4400"), Leader("http://chronos-2:4400"))
    with pytest.raises(UpstreamUnavailable):
        call(upstreams, leaders, "POST", idempotent=False, scheduler="chronos")
    assert len(upstreams.sent) == 1


class DeposedLeader:
    """The old leader holds requests for a while before admitting it knows no leader, as a
    deposed Marathon does; meanwhile ZooKeeper elects the new one."""

    def __init__(self, leaders: ElectionInProgress, hold: float = 2.0) -> None:
        self.leaders, self.hold = leaders, hold
        self.sent: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, str(request.url.host)))
        if request.url.host == "marathon-1":
            asyncio.get_running_loop().call_later(0.1, self.leaders.fail_over)
            await asyncio.sleep(self.hold)
            return httpx.Response(502, text=NO_LEADER_502)
        return httpx.Response(200, json={"ok": True})


def call_deposed(method: str, *, idempotent: bool) -> tuple[httpx.Response | Exception, float,
                                                              list[tuple[str, str]]]:
    leaders = ElectionInProgress(OLD, NEW)
    upstream = DeposedLeader(leaders)

    async def run() -> httpx.Response | Exception:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
            client = UpstreamClient("marathon", http, leaders, no_leader=marathon_has_no_leader,
                                    leader_wait=2.0)
            try:
                return await client.request(method, "/v2/apps", idempotent=idempotent)
            except UpstreamUnavailable as error:
                return error

    loop = asyncio.new_event_loop()
    try:
        started = loop.time()
        outcome = loop.run_until_complete(run())
        return outcome, loop.time() - started, upstream.sent
    finally:
        loop.close()


def test_a_listing_held_by_a_deposed_leader_is_answered_by_the_new_one_as_soon_as_elected():
    outcome, elapsed, sent = call_deposed("GET", idempotent=True)
    assert isinstance(outcome, httpx.Response) and outcome.status_code == 200
    assert sent == [("GET", "marathon-1"), ("GET", "marathon-2")]
    assert elapsed < 1.0


def test_a_submission_held_by_a_deposed_leader_waits_for_its_answer_and_is_not_sent_twice():
    outcome, elapsed, sent = call_deposed("POST", idempotent=False)
    assert isinstance(outcome, UpstreamUnavailable)
    assert sent == [("POST", "marathon-1")]
    assert elapsed >= 2.0
