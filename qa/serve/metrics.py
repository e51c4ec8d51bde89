"""Prometheus metrics, in a registry owned by each app (tests build many apps per process)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "qa_http_requests", "HTTP requests by route template, method and status",
            ["route", "method", "status"], registry=r,
        )
        self.latency = Histogram(
            "qa_http_request_duration_seconds",
            "Time from request to the end of the response (whole stream for SSE)",
            ["route", "method"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.answers = Counter("qa_answers", "Answers produced (all answering routes)", registry=r)
        self.abstentions = Counter("qa_abstentions", "Answers where the assistant abstained", registry=r)
        self.abstention_rate = Gauge(
            "qa_abstention_ratio", "Abstentions / answers since the process started", registry=r
        )
        self.index_documents = Gauge("qa_index_documents", "Documents in the loaded index", registry=r)
        self.index_passages = Gauge("qa_index_passages", "Passages in the loaded index", registry=r)
        self.index_ready = Gauge("qa_index_ready", "1 when an index is loaded and answering", registry=r)
        self.reindexes = Counter("qa_reindex", "Re-index runs by outcome", ["outcome"], registry=r)
        self._answers = 0
        self._abstained = 0

    def observe_answer(self, abstained: bool) -> None:
        self._answers += 1
        self._abstained += int(abstained)
        self.answers.inc()
        if abstained:
            self.abstentions.inc()
        self.abstention_rate.set(self._abstained / self._answers)

    def set_index(self, info: Mapping[str, Any] | None) -> None:
        if info is None:
            self.index_ready.set(0)
            return
        self.index_ready.set(1)
        self.index_documents.set(float(info.get("documents") or 0))
        self.index_passages.set(float(info.get("passages") or 0))


class MetricsMiddleware:
    """Counts every response, including ones produced by middleware (413, CORS refusals).

    The route label is the route *template* ("/sources/{doc_id}"), never the raw
    path, so a scanner probing random URLs cannot blow up the number of series.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app raises before answering, the server error handler sends a 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or (
                "(cors preflight)" if scope["method"] == "OPTIONS" else "(unmatched)"
            )
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            self.metrics.requests.labels(label, method, str(status)).inc()
            self.metrics.latency.labels(label, method).observe(time.perf_counter() - started)
