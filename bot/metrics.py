"""`GET /metrics` in the Prometheus text format: updates received, handled and failed per
channel, how long handling took, how many are being handled now, the inbox backlog (webhook
updates waiting) and the outbox backlog.

Under `serve --workers N` each worker counts in files of prometheus_client's multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`, set by the parent), and a scrape, whichever worker the kernel hands
it to, adds up every worker's series: counters and histograms summed, updates in flight summed
over the live workers, the two backlogs (read from the database) as last read.
"""

from __future__ import annotations

import os

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from bot.inbox import Inbox
from bot.scheduler import MAX_ATTEMPTS
from handlers.intake import Engine
from storage.db import Database
from storage.outbox import OutboxStore

# prometheus_client reads this variable when it is imported; bot.workers sets it for its workers.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: a chat answer is expected well under a second; the tail shows trouble.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """This process's figures, in a registry of its own (so tests can build several)."""

    def __init__(self, engine: Engine, db: Database, inbox: Inbox | None = None) -> None:
        self.registry = CollectorRegistry()
        self._engine = engine
        self._inbox = inbox
        self._outbox = OutboxStore(db)
        self.received = Counter(
            "ykien_updates_received", "Updates that reached the engine.", ["channel"],
            registry=self.registry,
        )  # fmt: skip
        self.processed = Counter(
            "ykien_updates_processed", "Updates handled without an error.", ["channel"],
            registry=self.registry,
        )  # fmt: skip
        self.failed = Counter(
            "ykien_updates_failed", "Updates whose handling raised (the sender retries).",
            ["channel"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "ykien_update_seconds", "Time to handle one update.", ["channel"],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "ykien_updates_in_flight", "Updates being handled now.",
            multiprocess_mode="livesum", registry=self.registry,
        )  # fmt: skip
        # Both backlogs are counted in the database, so one process's reading is everyone's.
        self.inbox_backlog = Gauge(
            "ykien_inbox_backlog", "Webhook updates stored and not handled yet (every process).",
            multiprocess_mode="mostrecent", registry=self.registry,
        )  # fmt: skip
        self.outbox_backlog = Gauge(
            "ykien_outbox_backlog", "Outgoing messages not sent yet (with attempts left).",
            multiprocess_mode="mostrecent", registry=self.registry,
        )  # fmt: skip
        engine.on_handled = self.observe

    def observe(self, channel: str, seconds: float, ok: bool) -> None:
        """Count one handled update (the engine calls this)."""
        self.received.labels(channel).inc()
        (self.processed if ok else self.failed).labels(channel).inc()
        self.latency.labels(channel).observe(seconds)
        # Kept current here too: with several workers a scrape reads the others' last value.
        self.queue_depth.set(self._engine.in_flight)

    async def handler(self, _request: web.Request) -> web.Response:
        """The scrape: the gauges read now, then every series."""
        self.queue_depth.set(self._engine.in_flight)
        self.outbox_backlog.set(await self._outbox.backlog(max_attempts=MAX_ATTEMPTS))
        if self._inbox is not None:
            self.inbox_backlog.set(await self._inbox.store.pending())
        body = generate_latest(self._scraped_registry())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _scraped_registry(self) -> CollectorRegistry:
        """This process's registry, or with several workers one that adds up all of theirs."""
        if not os.environ.get(MULTIPROCESS_DIR):
            return self.registry
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
