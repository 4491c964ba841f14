"""The bot's Prometheus metrics, in a registry of the App's own (so two apps in one process, or two tests, never
share counts). Counters and histograms are moved by one hook each in the engine, the outbox sender and the
scheduler, and by a wrapper round the screener; gauges are read from the database when scraped.

No label carries a person: labels are transport names, tiers, outcomes and kinds, from small fixed sets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine as Database

from bot.engine import Screener
from bot.storage import health
from safety.types import Screening, ScreenRequest, Turn

__all__ = ["DatabaseGauges", "Metrics", "TimedScreener"]

log = logging.getLogger(__name__)

TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCREEN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The counters and histograms, and the hooks that move them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter("coachbot_turns", "Turns the engine finished, by transport and outcome (the screen's "
                             "tier, or unscreened, duplicate, set_aside)", ["transport", "tier"],
                             registry=self.registry)
        self.turn_seconds = Histogram("coachbot_turn_seconds", "Seconds from a message reaching the engine to its "
                                      "turn being stored, lock wait included", ["transport"],
                                      buckets=TURN_BUCKETS, registry=self.registry)
        self.screen_seconds = Histogram("coachbot_screen_seconds", "Seconds one message's safety screen took (in a "
                                        "batch: the batch's time)", buckets=SCREEN_BUCKETS, registry=self.registry)
        self.deliveries = Counter("coachbot_outbox_deliveries", "Outbox send attempts, by transport and outcome "
                                  "(sent, failed: to be retried, dead: dead-lettered)", ["transport", "outcome"],
                                  registry=self.registry)
        self.jobs_claimed = Counter("coachbot_jobs_claimed", "Scheduler jobs claimed to run, by kind", ["kind"],
                                    registry=self.registry)

    def turn_handled(self, transport: str, tier: str, seconds: float) -> None:
        self.turns.labels(transport=transport, tier=tier).inc()
        self.turn_seconds.labels(transport=transport).observe(seconds)

    def screened(self, seconds: float, count: int = 1) -> None:
        for _ in range(count):
            self.screen_seconds.observe(seconds)

    def delivered(self, transport: str, outcome: str) -> None:
        self.deliveries.labels(transport=transport, outcome=outcome).inc()

    def claimed(self, kinds: Sequence[str]) -> None:
        for kind in kinds:
            self.jobs_claimed.labels(kind=kind).inc()

    def watch(self, db: Database, *, clock: Callable[[], datetime]) -> DatabaseGauges:
        """Add the gauges read from `db` at each scrape."""
        gauges = DatabaseGauges(db, clock=clock)
        self.registry.register(gauges)
        return gauges

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (reading the database for the gauges)."""
        return generate_latest(self.registry)


class TimedScreener:
    """The screener, timed: each call observes its seconds, once per message screened."""

    def __init__(self, inner: Screener, *, observe: Callable[[float, int], None]) -> None:
        self.inner = inner
        self.observe = observe

    def screen(self, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> Screening:
        started = time.perf_counter()
        try:
            return self.inner.screen(text, context=context, at=at)
        finally:
            self.observe(time.perf_counter() - started, 1)

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]:
        started = time.perf_counter()
        try:
            return self.inner.screen_many(requests)
        finally:
            self.observe(time.perf_counter() - started, len(requests))


class DatabaseGauges(Collector):
    """Outbox depth and age, dead letters, jobs, safety holds and pending alerts, counted in the database when
    scraped, so every worker on one database reports the same numbers. A database that can't be read gives
    coachbot_database_up 0 and no other gauge, rather than a failed scrape."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("coachbot_database_up", "1 when the gauges below could be read from the database")
        try:
            gauges = self._read()
        except Exception as exc:
            log.warning("metrics: the database could not be read (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from gauges

    def _read(self) -> list[Metric]:
        now = self.clock()
        with self.db.connect() as conn:
            depth = health.outbox_depth(conn)
            dead = health.dead_letters(conn)
            jobs = health.jobs_waiting(conn, now=now)
            holds = health.holds_open(conn)
            alerts = health.alerts_pending(conn)
        pending = GaugeMetricFamily("coachbot_outbox_pending", "Undelivered outbox messages, by transport",
                                    labels=["transport"])
        oldest = GaugeMetricFamily("coachbot_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox "
                                   "message, by transport (absent: none waiting)", labels=["transport"])
        for row in depth:
            pending.add_metric([row.transport], row.pending)
            if row.oldest is not None:
                oldest.add_metric([row.transport], max(0.0, (now - row.oldest).total_seconds()))
        letters = GaugeMetricFamily("coachbot_outbox_dead", "Dead-lettered outbox messages (coachbot outbox --dead), "
                                    "by transport and kind", labels=["transport", "kind"])
        for letter in dead:
            letters.add_metric([letter.transport, letter.kind], letter.count)
        due = GaugeMetricFamily("coachbot_jobs_due", "Scheduler jobs due and not yet claimed, by kind",
                                labels=["kind"])
        running = GaugeMetricFamily("coachbot_jobs_running", "Scheduler jobs claimed by a worker and not finished, "
                                    "by kind", labels=["kind"])
        for job in jobs:
            due.add_metric([job.kind], job.due)
            running.add_metric([job.kind], job.claimed)
        open_holds = GaugeMetricFamily("coachbot_safety_holds_open", "Coachees on a safety hold their coach has "
                                       "not lifted")
        open_holds.add_metric([], holds.count)
        hold_age = GaugeMetricFamily("coachbot_safety_hold_oldest_age_seconds", "How long the oldest open safety "
                                     "hold has been waiting for its coach (0: none open)")
        hold_age.add_metric([], 0.0 if holds.oldest is None else max(0.0, (now - holds.oldest).total_seconds()))
        pending_alerts = GaugeMetricFamily("coachbot_alerts_pending", "Safety alerts to coaches not yet delivered")
        pending_alerts.add_metric([], alerts)
        return [pending, oldest, letters, due, running, open_holds, hold_age, pending_alerts]
