"""Prometheus metrics: request counts and latencies per route, and the schedulers' leader state.

One registry per app (not the process-global one), so several apps in one process (tests, the
dev stack) do not share counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.discovery import LeaderSource
from gateway.discovery.source import SCHEDULERS

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class GatewayMetrics:
    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gateway_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "gateway_http_request_duration_seconds", "Time to answer, by route template.",
            ["method", "route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self._leaders = _LeaderCollector(version)
        self.registry.register(self._leaders)
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        """One request answered. ``route`` is its template (or "unmatched")."""
        # Clients choose the method token freely: only known ones become label values, or
        # made-up methods would each add a time series.
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

    def watch_leaders(self, source: Callable[[], LeaderSource | None]) -> None:
        self._leaders.source = source


class _LeaderCollector(Collector):
    def __init__(self, version: str) -> None:
        self.version = version
        self.source: Callable[[], LeaderSource | None] = lambda: None

    def collect(self) -> Iterable[Metric]:
        info = InfoMetricFamily("gateway_build", "Version of the running gateway.")
        info.add_metric([], {"version": self.version})
        yield info
        known = GaugeMetricFamily("gateway_leader_known",
                                  "1 when the scheduler's current leader is known.",
                                  labels=["scheduler"])
        leaders = self.source()
        for scheduler in SCHEDULERS:
            leader = leaders.leader(scheduler) if leaders is not None else None
            known.add_metric([scheduler], 1.0 if leader is not None else 0.0)
        yield known


class MetricsMiddleware:
    """Pure ASGI middleware (streams such as log follows pass through untouched)."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.record(scope.get("method", ""), route, status,
                                time.perf_counter() - started)
