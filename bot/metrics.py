"""Prometheus metrics, on a registry of their own (built by the composition root)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """Every metric Bizbot exports at ``/metrics``."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series are noise
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_in = Counter(
            "bizbot_events", "Inbound platform events", ["channel", "duplicate"], registry=r
        )
        self.commands = Counter(
            "bizbot_commands",
            "Handled events by command and outcome",
            ["command", "outcome"],
            registry=r,
        )
        self.errors = Counter("bizbot_errors", "Unexpected errors by place", ["where"], registry=r)
        self.deliveries = Counter(
            "bizbot_deliveries",
            "Delivery attempts by channel and result",
            ["channel", "result"],
            registry=r,
        )
        self.timers = Counter(
            "bizbot_timers",
            "Timer occurrences fired, expired or failed (after the last attempt), by kind",
            ["kind", "result"],
            registry=r,
        )
        self.timer_failures = Counter(
            "bizbot_timer_failures",
            "Failed timer attempts by kind: retried later (retry) or the last one (failed)",
            ["kind", "outcome"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "bizbot_outbox_pending", "Messages waiting to go out", registry=r
        )
        self.outbox_dead = Gauge("bizbot_outbox_dead", "Dead-lettered messages", registry=r)
        self.command_latency = Histogram(
            "bizbot_command_latency_seconds",
            "From the inbox commit to the end of the command's transaction",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.delivery_latency = Histogram(
            "bizbot_delivery_latency_seconds",
            "From the outbox commit to the platform's acceptance",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ingest_latency = Histogram(
            "bizbot_ingest_latency_seconds",
            "Time to make an inbound event durable",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
