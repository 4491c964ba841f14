"""The metrics: turns, screens, deliveries and jobs counted by their hooks, the gauges read from the database at
scrape time, one registry per app, and no person anywhere in the labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from bot.app import build_app
from bot.config import Config
from bot.ops.metrics import Metrics
from bot.planning import PlannedJob
from bot.storage import jobs as job_store
from bot.storage import store
from bot.transports.base import DeliveryError
from bot.types import ConversationKey, Reply
from tests.bot.ops.scrape import foreign_labels, value
from tests.conftest import Harness, MarkerScreener, onboard

TRANSPORTS = frozenset({"memory", "unrouted"})


def scrape(h: Harness) -> str:
    return h.app.metrics.exposition().decode("utf-8")


async def test_a_turn_is_counted_by_transport_and_tier_and_timed(harness: Harness) -> None:
    await harness.say("hello")
    await harness.say("[crisis] I can't go on")
    body = scrape(harness)
    assert value(body, "coachbot_turns_total", transport="memory", tier="none") == 1
    assert value(body, "coachbot_turns_total", transport="memory", tier="crisis") == 1
    assert value(body, "coachbot_turn_seconds_count", transport="memory") == 2
    assert value(body, "coachbot_screen_seconds_count") == 2  # each message screened once


async def test_a_button_press_is_unscreened_and_a_redelivery_a_duplicate(harness: Harness) -> None:
    await harness.say("hello", message_id="m-1")
    await harness.say("hello", message_id="m-1")  # the platform delivered it again
    await harness.press("Yes")
    body = scrape(harness)
    assert value(body, "coachbot_turns_total", transport="memory", tier="duplicate") == 1
    assert value(body, "coachbot_turns_total", transport="memory", tier="unscreened") == 1
    assert value(body, "coachbot_turns_total", transport="memory", tier="none") == 1


async def test_deliveries_failures_and_dead_letters_are_counted(harness: Harness) -> None:
    await harness.say("hello")
    assert value(scrape(harness), "coachbot_outbox_deliveries_total", transport="memory", outcome="sent") >= 1
    harness.transport.fail_next(DeliveryError("timeout"), DeliveryError("bad request", permanent=True))
    await harness.transport.receive(harness.transport.message("u1", "yes"))
    await harness.app.outbox.deliver_due()  # fails, backs off
    body = scrape(harness)
    assert value(body, "coachbot_outbox_deliveries_total", transport="memory", outcome="failed") == 1
    assert value(body, "coachbot_outbox_pending", transport="memory") >= 1
    assert value(body, "coachbot_outbox_oldest_age_seconds", transport="memory") >= 0
    harness.app.outbox.clock = lambda: harness.app.engine.clock() + timedelta(minutes=1)  # past the backoff
    await harness.app.outbox.deliver_due()
    body = scrape(harness)
    assert value(body, "coachbot_outbox_deliveries_total", transport="memory", outcome="dead") == 1
    assert value(body, "coachbot_outbox_dead", transport="memory", kind="reply") == 1


async def test_the_outbox_age_is_the_oldest_undelivered_message(harness: Harness) -> None:
    app = harness.app
    now = app.engine.clock()
    key = ConversationKey(transport="memory", user="u1", chat="u1")
    with app.db.begin() as conn:
        store.add_outbox(conn, to=key, replies=[Reply(text="a")], kind="reply", at=now - timedelta(minutes=7),
                         coachee_id=None)
        store.add_outbox(conn, to=key, replies=[Reply(text="b")], kind="reply", at=now - timedelta(minutes=1),
                         coachee_id=None)
    body = scrape(harness)
    assert value(body, "coachbot_outbox_pending", transport="memory") == 2
    assert 7 * 60 <= value(body, "coachbot_outbox_oldest_age_seconds", transport="memory") < 8 * 60


async def test_a_safety_hold_and_its_alert_show_until_the_coach_acts(harness: Harness) -> None:
    await onboard(harness)
    body = scrape(harness)
    assert value(body, "coachbot_safety_holds_open") == 0
    assert value(body, "coachbot_safety_hold_oldest_age_seconds") == 0
    await harness.transport.receive(harness.transport.message("u1", "[crisis] I want to end it"))
    body = scrape(harness)  # written, not yet delivered
    assert value(body, "coachbot_safety_holds_open") == 1
    assert value(body, "coachbot_alerts_pending") == 1
    await harness.app.outbox.deliver_due()
    a_day_on = Metrics()
    a_day_on.watch(harness.app.db, clock=lambda: harness.app.engine.clock() + timedelta(days=1))
    body = a_day_on.exposition().decode()  # a day on, and the coach hasn't lifted it
    assert value(body, "coachbot_alerts_pending") == 0
    assert value(body, "coachbot_safety_holds_open") == 1
    assert value(body, "coachbot_safety_hold_oldest_age_seconds") >= 24 * 3600
    with harness.app.db.begin() as conn:
        store.set_coachee_status(conn, harness.coachee_id, "active")  # the coach lifted it
    assert value(scrape(harness), "coachbot_safety_holds_open") == 0


async def test_jobs_due_running_and_claimed(harness: Harness) -> None:
    app = harness.app
    now = app.engine.clock()
    with app.db.begin() as conn:
        job_store.add_jobs(conn, [PlannedJob(kind="retention", due_at=now - timedelta(minutes=1)),
                                  PlannedJob(kind="caseload", coach_id=harness.coach_id,
                                             due_at=now + timedelta(days=1))])
    body = scrape(harness)
    assert value(body, "coachbot_jobs_due", kind="retention") == 1
    assert value(body, "coachbot_jobs_due", kind="caseload") == 0  # not due yet
    with app.db.begin() as conn:
        job_store.claim_due(conn, now=now, claim="other-worker", limit=10)
    body = scrape(harness)
    assert value(body, "coachbot_jobs_due", kind="retention") == 0
    assert value(body, "coachbot_jobs_running", kind="retention") == 1

    with app.db.begin() as conn:
        job_store.add_jobs(conn, [PlannedJob(kind="retention", due_at=now - timedelta(seconds=1),
                                             coach_id=harness.coach_id)])
    assert await app.scheduler.run_due() == 1
    assert value(scrape(harness), "coachbot_jobs_claimed_total", kind="retention") == 1


async def test_no_person_is_in_the_metrics(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("I want to lead my team with more confidence")
    await harness.say("[stress] Work is a lot right now")
    body = scrape(harness)
    assert foreign_labels(body, transports=TRANSPORTS) == []
    for personal in ("Sam", "Jones", "Alex", "confidence", "Work is", "u1", "c1"):
        assert personal not in body
    assert value(body, "coachbot_turns_total", transport="memory", tier="stress") == 1  # the scrape has content


def test_each_app_counts_in_a_registry_of_its_own(config: Config, screener: MarkerScreener) -> None:
    first, second = build_app(config, screener=screener), build_app(config, screener=screener)
    try:
        first.metrics.turn_handled("memory", "none", 0.01)
        assert value(first.metrics.exposition().decode(), "coachbot_turns_total", transport="memory", tier="none") == 1
        assert value(second.metrics.exposition().decode(), "coachbot_turns_total", transport="memory",
                     tier="none") == 0
    finally:
        for app in (first, second):
            app.engine.close()
            app.db.dispose()


def test_a_database_that_cannot_be_read_is_reported_not_raised(tmp_path: Path) -> None:
    metrics = Metrics()
    unmigrated = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every read fails
    metrics.watch(unmigrated, clock=lambda: datetime.now(UTC))
    body = metrics.exposition().decode()
    assert value(body, "coachbot_database_up") == 0
    assert "coachbot_outbox_pending" not in body
    unmigrated.dispose()
