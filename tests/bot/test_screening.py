"""The batching front to the screener: waiting turns share one call, off the event loop, and never hang."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Config, DatabaseConfig, SafetyConfig
from bot.engine import _Early
from bot.ops.metrics import TimedScreener
from bot.screening import BatchScreener
from bot.types import ConversationKey, InboundMessage
from safety.layered import default_screener
from safety.types import Screening, ScreenRequest, Tier, Turn
from tests.conftest import Harness, MarkerScreener, onboard


class Recording:
    """Screens `[crisis]` as crisis and records each batch and the thread it ran on."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.threads: set[int] = set()
        self.fail_next = False

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]:
        self.threads.add(threading.get_ident())
        self.batches.append([r.text for r in requests])
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("model went away")
        return [Screening(tier=Tier.CRISIS if "[crisis]" in r.text else Tier.NONE, ruleset_version="t")
                for r in requests]


async def test_turns_waiting_together_share_one_batch_and_each_gets_its_own_result() -> None:
    screener = Recording()
    front = BatchScreener(screener)
    try:
        texts = ["fine", "[crisis] not fine", "ok", "also fine", "[crisis] again"]
        results = await asyncio.gather(*(front.screen(ScreenRequest.of(t)) for t in texts))
    finally:
        front.close()
    assert screener.batches == [texts]
    assert [r.tier for r in results] == [Tier.NONE, Tier.CRISIS, Tier.NONE, Tier.NONE, Tier.CRISIS]


async def test_a_batch_never_grows_past_its_limit() -> None:
    screener = Recording()
    front = BatchScreener(screener, max_batch=4)
    try:
        await asyncio.gather(*(front.screen(ScreenRequest.of(f"m{i}")) for i in range(10)))
    finally:
        front.close()
    assert [len(b) for b in screener.batches] == [4, 4, 2]
    assert [t for b in screener.batches for t in b] == [f"m{i}" for i in range(10)]


async def test_the_screen_runs_off_the_event_loop() -> None:
    """While a batch is being screened the loop goes on: here the screen waits for the loop to act."""
    released = threading.Event()

    class Waits(Recording):
        def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]:
            if not released.wait(timeout=5):
                raise AssertionError("the event loop was blocked while screening")
            return super().screen_many(requests)

    screener = Waits()
    front = BatchScreener(screener)
    try:
        pending = asyncio.ensure_future(front.screen(ScreenRequest.of("hello")))
        await asyncio.sleep(0.05)
        assert not pending.done()
        released.set()
        result = await asyncio.wait_for(pending, timeout=5)
    finally:
        front.close()
    assert result.tier is Tier.NONE
    assert threading.get_ident() not in screener.threads


async def test_a_very_long_message_is_screened_whole_without_holding_up_anyone_else(
        harness: Harness, screener: MarkerScreener) -> None:
    """A 40,000-character message: screened in full, on a lane of its own, while other coachees' turns go on."""
    released = threading.Event()
    seen: list[int] = []
    real = screener.screen_many

    def screen_many(requests: Sequence[ScreenRequest]) -> list[Screening]:
        seen.extend(len(r.text) for r in requests)
        if any(len(r.text) > 10_000 for r in requests) and not released.wait(timeout=10):
            raise AssertionError("never released")
        return real(requests)

    screener.screen_many = screen_many  # type: ignore[method-assign]
    huge = "I keep going over the rota in my head. " * 1_000 + "[crisis]"
    assert len(huge) > 39_000
    long_turn = asyncio.ensure_future(harness.transport.receive(harness.transport.message("u1", huge)))
    while len(huge) not in seen:
        await asyncio.sleep(0.01)
    # The long one is still being screened; another person's turn goes through meanwhile.
    await asyncio.wait_for(harness.transport.receive(harness.transport.message("someone", "hello there")), 5)
    assert not long_turn.done()
    await harness.app.outbox.deliver_due()
    assert "invite code" in harness.transport.texts_to("someone")[0]
    released.set()
    await asyncio.wait_for(long_turn, 10)
    await harness.app.outbox.deliver_due()
    assert "not a crisis service" in harness.transport.texts_to("u1")[-1], "screened whole: the end was read"


async def test_a_failed_batch_fails_its_turns_and_the_next_batch_still_runs() -> None:
    screener = Recording()
    screener.fail_next = True
    front = BatchScreener(screener)
    try:
        outcomes = await asyncio.gather(front.screen(ScreenRequest.of("a")), front.screen(ScreenRequest.of("b")),
                                        return_exceptions=True)
        assert all(isinstance(o, RuntimeError) for o in outcomes)
        again = await asyncio.wait_for(front.screen(ScreenRequest.of("[crisis] c")), timeout=5)
    finally:
        front.close()
    assert again.tier is Tier.CRISIS


async def test_the_engine_screens_different_conversations_in_one_batch(harness: Harness,
                                                                        screener: MarkerScreener) -> None:
    batches: list[int] = []
    real = screener.screen_many

    def screen_many(requests: Sequence[ScreenRequest]) -> list[Screening]:
        batches.append(len(requests))
        return real(requests)

    screener.screen_many = screen_many  # type: ignore[method-assign]
    senders = [f"stranger{i}" for i in range(6)]
    await asyncio.gather(*(harness.transport.receive(harness.transport.message(u, "hello there"))
                           for u in senders))
    assert batches == [6]
    await harness.app.outbox.deliver_due()
    assert all(harness.transport.replies_to(u) for u in senders)


async def test_a_screen_read_against_turns_that_changed_since_is_not_used(harness: Harness,
                                                                       screener: MarkerScreener) -> None:
    """Another worker answered in between: the early screen read other turns, so the turn screens again."""
    await onboard(harness)
    before = len(screener.calls)
    stale = _Early(context=(Turn(speaker="coachee", text="something else entirely"),),
                   screening=Screening(tier=Tier.EMERGENCY, rules=("stale",), ruleset_version="t"))
    msg = InboundMessage(key=ConversationKey(transport="memory", user="u1", chat="u1"), message_id="m-stale",
                         text="To chair meetings calmly", received_at=datetime.now(UTC))
    harness.app.engine._turn(msg, stale)
    await harness.app.outbox.deliver_due()
    assert screener.calls[before:] == ["To chair meetings calmly"]
    replies = harness.transport.replies_to("u1")
    assert "999" not in replies[-1].text


@pytest.mark.parametrize("text", ["[crisis] I can't do this any more"])
async def test_the_early_screen_is_the_one_the_turn_acts_on(harness: Harness, screener: MarkerScreener,
                                                         text: str) -> None:
    await onboard(harness)
    before = len(screener.calls)
    reply = await harness.texts(text)
    assert screener.calls[before:] == [text]  # screened once, before the transaction
    assert "not a crisis service" in reply


def test_the_configured_model_threads_reach_the_screener(tmp_path: Path) -> None:
    app = build_app(Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path / 'x.db'}"),
                           safety=SafetyConfig(model_threads=1)))
    try:
        timed = app.engine.screener
        assert isinstance(timed, TimedScreener)  # timed for the metrics, round the configured screener
        assert timed.inner is default_screener(1)
    finally:
        app.engine.close()
        app.db.dispose()
