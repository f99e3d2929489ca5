"""Prometheus metrics of one app: its requests, its calls upstream, and the state of its edges.

One registry per app (not the process-global one), so several apps in one process (tests, the
dev stack) do not share counters. Requests and upstream calls are counted as they happen; what
the edges keep (leaders, ZooKeeper, token and quota refusals, JWKS refreshes) is read at scrape
time from the edges the lifespan built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from starlette.types import Scope

from gateway.discovery.source import SCHEDULERS

if TYPE_CHECKING:
    from gateway.edges import Edges

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class GatewayMetrics:
    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gateway_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "gateway_http_request_duration_seconds", "Time to answer, by route template.",
            ["method", "route"], registry=self.registry, buckets=_LATENCY_BUCKETS)
        self.upstream_calls = Counter(
            "gateway_upstream_requests", "Calls to Marathon, Chronos, the Mesos master and agents, "
            "by route template and outcome (ok, client_error, server_error, timeout, unreachable).",
            ["scheduler", "method", "route", "outcome"], registry=self.registry)
        self.upstream_latency = Histogram(
            "gateway_upstream_request_duration_seconds", "Time an upstream call took.",
            ["scheduler", "route"], registry=self.registry, buckets=_LATENCY_BUCKETS)
        self._edges = _EdgesCollector(version)
        self.registry.register(self._edges)
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def watch(self, edges: Callable[[], Edges | None]) -> None:
        """Read the edges' state at scrape time (None before the lifespan built them)."""
        self._edges.edges = edges

    def observe_request(self, scope: Scope, status: int, seconds: float) -> None:
        """Called by the request middleware once a response is done (streams included)."""
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        # Clients choose the method token freely: only known ones become label values, or
        # made-up methods would each add a time series.
        method = scope.get("method", "")
        method = method if method in _METHODS else "other"
        series = self._series.get((method, route, status))
        if series is None:
            # Looked up once per method, route and status (a few dozen): labels() takes a
            # lock and checks its values on every call.
            series = self._series[method, route, status] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route))
        series[0].inc()
        series[1].observe(seconds)

    def observe_upstream(self, scheduler: str, method: str, route: str, outcome: str,
                         seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self.upstream_calls.labels(scheduler, method, route, outcome).inc()
        self.upstream_latency.labels(scheduler, route).observe(seconds)


class _EdgesCollector(Collector):
    def __init__(self, version: str) -> None:
        self.version = version
        self.edges: Callable[[], Edges | None] = lambda: None

    def collect(self) -> Iterable[Metric]:
        info = InfoMetricFamily("gateway_build", "Version of the running gateway.")
        info.add_metric([], {"version": self.version})
        yield info
        edges = self.edges()
        known = GaugeMetricFamily("gateway_leader_known",
                                  "1 when the scheduler's current leader is known.",
                                  labels=["scheduler"])
        changes = CounterMetricFamily(
            "gateway_leader_changes", "Leaders seen taking office (the first one included).",
            labels=["scheduler"])
        for scheduler in SCHEDULERS:
            leader = edges.leaders.leader(scheduler) if edges is not None else None
            known.add_metric([scheduler], 1.0 if leader is not None else 0.0)
            changes.add_metric([scheduler],
                               edges.leaders.leader_changes[scheduler] if edges is not None else 0)
        yield known
        yield changes
        if edges is None:
            return
        zookeeper = edges.leaders.status().get("zookeeper")
        if isinstance(zookeeper, dict):
            connected = GaugeMetricFamily(
                "gateway_zookeeper_connected",
                "1 while the gateway's ZooKeeper session is connected (leaders and quota locks).")
            connected.add_metric([], 1.0 if zookeeper.get("state") == "connected" else 0.0)
            yield connected
        refusals = CounterMetricFamily(
            "gateway_token_refusals", "Bearer tokens refused, by reason (401: malformed, "
            "expired, signature_or_claims, untrusted_issuer, unknown_key, ...; 403: not_in_group, ...).",
            labels=["reason"])
        for reason, count in sorted(edges.verifier.refusals.items()):
            refusals.add_metric([reason], count)
        yield refusals
        quota = CounterMetricFamily(
            "gateway_quota_refusals", "Requests refused for quota, by kind and exceeded resource.",
            labels=["kind", "resource"])
        for (kind, resource), count in sorted(edges.quotas.refusals.items()):
            quota.add_metric([kind, resource], count)
        yield quota
        jwks = CounterMetricFamily(
            "gateway_jwks_refreshes", "Fetches of a trusted issuer's discovery document and keys.",
            labels=["issuer", "outcome"])
        for name, issuer in sorted(edges.verifier.issuers.items()):
            jwks.add_metric([name, "ok"], issuer.refreshes - issuer.failed_refreshes)
            jwks.add_metric([name, "failed"], issuer.failed_refreshes)
        yield jwks
