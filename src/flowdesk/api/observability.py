"""Request ids on every response and log line, /ready and Prometheus /metrics."""

from __future__ import annotations

import hmac
import os
import time
import uuid
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, ProcessCollector,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .. import logs
from ..engine.store import health
from ..engine.store.errors import Unauthenticated
from .auth import runtime

blp = Blueprint("observability", __name__, description="Readiness and metrics")


class DatabaseCollector:
    """Gauges read from the database at scrape time (instances, tickets, jobs, incidents)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        with self.app.app_context():
            rt = runtime()
            snap = health.snapshot(rt)
        now = rt.clock()  # the clock the due times were written with
        instances = GaugeMetricFamily("flowdesk_instances", "Process instances by process and status",
                                      labels=["process_key", "status"])
        started: dict[str, int] = {}
        for (key, status), count in snap.instances.items():
            instances.add_metric([key, status], count)
            started[key] = started.get(key, 0) + count
        # Instance rows are archived (their state emptied), never deleted, so this only grows: a counter.
        started_total = CounterMetricFamily("flowdesk_instances_started", "Process instances started, by process",
                                            labels=["process_key"])
        for key, count in started.items():
            started_total.add_metric([key], count)
        tickets = GaugeMetricFamily("flowdesk_open_tickets", "Open tickets by candidate group", labels=["group"])
        for group, count in snap.open_tickets.items():
            tickets.add_metric([group], count)
        jobs = GaugeMetricFamily("flowdesk_jobs", "Unfinished jobs by kind and status", labels=["kind", "status"])
        for (kind, status), count in snap.jobs.items():
            jobs.add_metric([kind, status], count)
        age = GaugeMetricFamily("flowdesk_oldest_pending_job_seconds", "Age of the oldest pending job")
        age.add_metric([], _seconds_since(snap.oldest_pending_job, now))
        waiting = GaugeMetricFamily("flowdesk_job_queue_age_seconds",
                                    "How long the longest-waiting due job has waited for a worker")
        waiting.add_metric([], _seconds_since(snap.oldest_due_job, now))
        depth = GaugeMetricFamily("flowdesk_job_queue_depth", "Job ids waiting in the queue (Redis or in-process)")
        if snap.queue_depth is not None:
            depth.add_metric([], snap.queue_depth)
        # Real counters (engine/counters), not counts of the attempts history retention trims.
        attempts = CounterMetricFamily("flowdesk_job_attempts", "Job attempts that ended, by worker host and outcome",
                                       labels=["host", "outcome"])
        failures = CounterMetricFamily("flowdesk_job_failures",
                                       "Job attempts that ended without success, by worker host", labels=["host"])
        failed: dict[str, int] = {}
        for (host, outcome), count in sorted(snap.attempts.items()):
            attempts.add_metric([host, outcome], count)
            if outcome != "succeeded":
                failed[host] = failed.get(host, 0) + count
        for host, count in failed.items():
            failures.add_metric([host], count)
        lateness = GaugeMetricFamily("flowdesk_timer_lateness_seconds",
                                     "How far past its due time the oldest unfired timer is (0: none late)")
        lateness.add_metric([], _seconds_since(snap.oldest_due_timer, now))
        incidents = GaugeMetricFamily("flowdesk_open_incidents", "Open incidents")
        incidents.add_metric([], snap.open_incidents)
        breached = GaugeMetricFamily("flowdesk_sla_breached_tickets", "Open tickets past their SLA")
        breached.add_metric([], snap.sla_breached)
        yield from (instances, started_total, tickets, jobs, age, waiting, depth, attempts, failures, lateness,
                    incidents, breached)


def _seconds_since(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


@blp.route("/ready")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(200)
    def get(self):
        """Database reachable, migrations current, queue reachable; 503 with Retry-After if not."""
        checks = health.readiness(runtime())
        body = {"status": "ready" if not any(checks.values()) else "not ready",
                "checks": {name: problem or "ok" for name, problem in checks.items()}, "details": health.details()}
        if any(checks.values()):
            return body, 503, {"Retry-After": "5"}
        return body


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(security=[{}, {"bearer": []}])  # the token only when FLOWDESK_METRICS_TOKEN is set
    @blp.response(200, content_type=CONTENT_TYPE_LATEST)
    def get(self):
        """Prometheus metrics; with FLOWDESK_METRICS_TOKEN set, only for ``Authorization: Bearer <token>``."""
        expected = current_app.config.get("FLOWDESK_METRICS_TOKEN")
        if expected and not hmac.compare_digest(f"Bearer {expected}".encode(),
                                                request.headers.get("Authorization", "").encode()):
            raise Unauthenticated("/metrics needs 'Authorization: Bearer <FLOWDESK_METRICS_TOKEN>'")
        # content_type, not mimetype: Flask would add a second charset to one that has it.
        return Response(generate_latest(current_app.extensions["flowdesk_metrics"]()),
                        content_type=CONTENT_TYPE_LATEST)


def register(app: Flask) -> None:
    """Request ids and latency for every request; one metrics registry per app.

    Under gunicorn (``flowdesk.gunicorn_conf`` sets ``PROMETHEUS_MULTIPROC_DIR``) every worker
    process writes its request figures to files there and a scrape adds up all of them, so the
    answer does not depend on which process took the scrape.
    """
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    latency = Histogram("flowdesk_http_request_duration_seconds", "HTTP request latency by endpoint",
                        ["method", "endpoint", "status"], registry=None)
    shared = CollectorRegistry()
    shared.register(DatabaseCollector(app))
    shared.register(ProcessCollector(registry=None))
    if not multiprocess_dir:
        shared.register(latency)

    def scrape_registry() -> CollectorRegistry:
        if not multiprocess_dir:
            return shared
        registry = CollectorRegistry()
        MultiProcessCollector(registry, multiprocess_dir)
        for collector in (DatabaseCollector(app), ProcessCollector(registry=None)):
            registry.register(collector)
        return registry

    app.extensions["flowdesk_metrics"] = scrape_registry

    @app.before_request
    def _start():
        rid = request.headers.get("X-Request-Id", "")[:100] or uuid.uuid4().hex
        g.request_id, g.request_started = rid, time.perf_counter()
        logs.request_id.set(rid)
        logs.instance_id.set(None)
        logs.job_id.set(None)

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        started = getattr(g, "request_started", None)
        if started is not None:
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            latency.labels(request.method, endpoint, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response
