"""Prometheus metrics of one API process, served as text by ``GET /metrics`` (admin keys only).

- ``riskgraph_http_requests_total{method,route,status}`` and ``riskgraph_http_request_duration_seconds``
  per route template (``/v1/networks/{network_id}``, not each id), counted by :class:`RequestMetrics`;
- ``riskgraph_decisions_total{channel}``: decisions in the decision log, whoever scored them;
- ``riskgraph_snapshot_age_seconds``: how old the scoring snapshot being served is;
- ``riskgraph_graph_up``: 1 when Neo4j answered within ``RISKGRAPH_GRAPH_TIMEOUT`` at scrape time;
- ``riskgraph_process_resident_bytes`` and ``riskgraph_process_shared_bytes``: this worker's memory (with
  ``serve --workers N`` each worker is scraped on its own; the shared part is what it shares with others).

Each app has its own registry, so two apps in one process (tests) do not share counters.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

__all__ = ["Metrics", "RequestMetrics", "process_memory"]

# Scoring answers in milliseconds; reports and charts on a large graph in seconds.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, app) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "riskgraph_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "riskgraph_http_request_duration_seconds",
            "time to answer an HTTP request",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_ServiceCollector(app))


class _ServiceCollector:
    """Read at scrape time from the app's state: decision log, snapshot, graph."""

    def __init__(self, app) -> None:
        self.app = app

    def collect(self):
        state = self.app.state
        decisions = CounterMetricFamily("riskgraph_decisions", "decisions logged, by channel", labels=["channel"])
        for channel, count in state.log.channel_mix()["channels"].items():
            decisions.add_metric([channel], count)
        yield decisions
        built = state.live.meta.get("built_at")
        if built:
            age = (datetime.now(UTC) - datetime.fromisoformat(built)).total_seconds()
            yield GaugeMetricFamily("riskgraph_snapshot_age_seconds", "age of the scoring snapshot served", value=age)
        yield GaugeMetricFamily("riskgraph_graph_up", "1 when Neo4j answered in time", value=_graph_up())
        resident, shared = process_memory()
        yield GaugeMetricFamily("riskgraph_process_resident_bytes", "this worker's resident memory", value=resident)
        yield GaugeMetricFamily("riskgraph_process_shared_bytes", "of which shared with others", value=shared)


def process_memory() -> tuple[int, int]:
    """(resident, shared) bytes of this process; shared is 0 where ``/proc`` is not there (then resident is
    the peak, the only figure ``getrusage`` gives)."""
    try:
        _, resident, shared, *_ = (int(x) for x in Path("/proc/self/statm").read_text().split())
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 0
    page = os.sysconf("SC_PAGE_SIZE")
    return resident * page, shared * page


def _graph_up() -> int:
    from graph.connection import DatabaseUnavailable, serving

    try:
        serving()
    except DatabaseUnavailable:
        return 0
    return 1


class RequestMetrics:
    """Plain ASGI middleware counting and timing each request by its route template."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, started = 500, time.perf_counter()

        async def remember(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
