"""A database outage: while the database can't be written, no Telegram update is confirmed to Telegram and no
Slack event is acknowledged; once it is back, every message is handled exactly once, in order, even across a
restart of the transport.

The outage is real: another connection holds SQLite's write lock (BEGIN EXCLUSIVE, as a backup or a long
migration might), so each turn's first write fails with "database is locked" and the engine raises TurnFailed.
The engine's busy timeout is cut to a tenth of a second, so a refused turn fails at once instead of after ten.
Telegram is the Bot API emulator, whose getUpdates keeps an update until it is asked for a later offset, as
Telegram does; the answers are checked against the same messages sent to a bot whose database never failed.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import Config, DatabaseConfig, TelegramConfig
from bot.markup import telegram_html
from bot.storage import schema as t
from bot.storage import store
from bot.transports.base import TurnFailed
from bot.transports.retry import Backoff
from bot.transports.slack import SlackTransport
from bot.transports.telegram import TelegramTransport
from bot.types import InboundMessage
from tests.conftest import MarkerScreener, make_harness
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.slack_signing import SlackRequestSigner, message_im_event
from tests.transports.helpers.telegram_emulator import EmulatorProcess, TelegramUser
from tests.transports.test_slack import SIGNING_SECRET, STRANGER, STRANGER_DM, slack_config
from tests.transports.test_telegram import eventually

SAM_TG_ID = 7300
ONBOARDING = ["hello", "yes", "yes", "yes", "London"]  # a duplicate or a swap would answer the wrong question


class WriteLock:
    """Another connection holding the SQLite file's write lock: every other writer gets "database is locked"."""

    def __init__(self, path: str) -> None:
        self._holder = sqlite3.connect(path, isolation_level=None)
        self._holder.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self._holder.execute("ROLLBACK")
        self._holder.close()


def short_busy_timeout(db: Engine) -> None:
    def pragma(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    event.listen(db, "connect", pragma)  # after the app's own pragmas, so this one wins
    db.dispose()  # pooled connections were opened with the long timeout


def sqlite_path(app: App) -> str:
    path = make_url(str(app.db.url)).database
    assert path
    return path


@dataclass
class Rig:
    """The real app on a SQLite file, with Telegram transports (one at a time) polling the emulator."""

    app: App
    emulator: EmulatorProcess
    token: str
    coachee_id: int
    attempts: list[tuple[str, bool]] = field(default_factory=list)  # (message id, stored?) per hand-over
    sleeps: list[float] = field(default_factory=list)  # what the transports asked to sleep, in order
    transport: TelegramTransport | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    sender: asyncio.Task[None] | None = None

    @property
    def sam(self) -> TelegramUser:
        return self.emulator.user(self.token, user_id=SAM_TG_ID, first_name="Sam")

    async def handle(self, msg: InboundMessage) -> None:
        try:
            await self.app.engine.handle(msg)
        except TurnFailed:
            self.attempts.append((msg.message_id, False))
            raise
        self.attempts.append((msg.message_id, True))

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(seconds)

    async def start(self) -> TelegramTransport:
        """A new transport, as a new process would have; giving up after 0 s shows an outage never makes it skip."""
        config = TelegramConfig(enabled=True, token=self.token, base_url=self.emulator.base_url,
                                base_file_url=self.emulator.base_file_url, poll_interval=0.0)
        transport = TelegramTransport(config, poll_timeout=1.0, sleep=self.sleep,
                                      backoff=Backoff(retry_delay=0.05, max_retry_delay=0.2, give_up_after=0.0))
        self.app.add_transport(transport)
        self.transport = transport
        if self.sender is None:
            self.sender = asyncio.create_task(self.app.outbox.run(self.stopping, idle_wait=0.05))
        await transport.start(self.handle)
        return transport

    async def stop_transport(self) -> None:
        assert self.transport is not None
        await self.transport.stop()
        self.transport = None

    async def close(self) -> None:
        self.stopping.set()
        if self.sender is not None:
            await self.sender
        if self.transport is not None:
            await self.transport.stop()

    def failed(self, message_id: str) -> int:
        return self.attempts.count((message_id, False))

    def receipts(self) -> list[str]:
        with self.app.db.connect() as conn:
            rows = conn.execute(select(t.inbound_receipts.c.message_id)
                                .where(t.inbound_receipts.c.transport == "telegram")).scalars()
            return sorted(rows, key=lambda m: int(m.split(":")[2]))

    async def pending(self) -> list[str]:
        """The texts of the updates the emulator still holds, unconfirmed."""
        return [u["message"]["text"] for u in (await self.sam.state())["pendingUpdates"]]

    async def shown(self) -> list[tuple[str, list[str]]]:
        """What Sam sees: each bot message's text and button labels."""
        return [(m["text"], [b["text"] for row in m.get("reply_markup", {}).get("inline_keyboard", []) for b in row])
                for m in await self.sam.bot_messages()]


@pytest.fixture
async def rig(
    config: Config, screener: MarkerScreener, telegram_emulator: EmulatorProcess, tg_token: str
) -> AsyncIterator[Rig]:
    harness = make_harness(config, screener)  # coach Alex Coach and coachee Sam Jones, not onboarded yet
    with harness.app.db.begin() as conn:
        store.add_identity(conn, transport="telegram", external_id=str(SAM_TG_ID), coachee_id=harness.coachee_id,
                           chat_id=str(SAM_TG_ID))
    short_busy_timeout(harness.app.db)
    the_rig = Rig(app=harness.app, emulator=telegram_emulator, token=tg_token, coachee_id=harness.coachee_id)
    yield the_rig
    await the_rig.close()
    harness.app.db.dispose()


async def outage_free(tmp_path: Path, screener: MarkerScreener, texts: list[str]) -> list[tuple[str, list[str]]]:
    """The same messages from the same coachee, to a bot whose database never fails: what Sam should see."""
    harness = make_harness(Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path / 'oracle.db'}")), screener)
    await harness.transport.start(harness.app.engine.handle)
    for text in texts:
        await harness.say(text)
    replies = harness.transport.replies_to(harness.coachee_user)
    harness.app.db.dispose()
    return [(telegram_html(r.text) if r.markdown else r.text, [b.label for b in r.buttons]) for r in replies]


async def test_messages_sent_while_the_database_is_locked_stay_unconfirmed_then_are_answered_once_in_order(
    rig: Rig, tmp_path: Path, screener: MarkerScreener, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    expected = await outage_free(tmp_path, screener, ONBOARDING)
    await rig.start()
    lock = WriteLock(sqlite_path(rig.app))

    for text in ONBOARDING:
        await rig.sam.send_text(text)
    first = f"m:{SAM_TG_ID}:{(await rig.sam.state())['pendingUpdates'][0]['message']['message_id']}"

    async def tried_again_and_again() -> bool:
        return rig.failed(first) >= 4

    await eventually(tried_again_and_again)
    # Nothing was confirmed: the emulator still holds every update, and no later one was handed over first.
    assert await rig.pending() == ONBOARDING
    assert {message_id for message_id, _ in rig.attempts} == {first}
    assert rig.receipts() == []
    assert await rig.sam.bot_messages() == []
    assert rig.sleeps[:4] == [0.05, 0.1, 0.2, 0.2]  # backing off, doubling up to max_retry_delay

    lock.release()

    async def all_answered() -> bool:
        return len(await rig.sam.bot_messages()) >= len(expected)

    await eventually(all_answered)
    assert await rig.shown() == expected
    receipts = rig.receipts()
    assert len(receipts) == len(ONBOARDING) and receipts[0] == first
    assert [message_id for message_id, stored in rig.attempts if stored] == receipts  # each once, in order

    async def all_confirmed() -> bool:
        return await rig.pending() == []

    await eventually(all_confirmed)
    assert await rig.shown() == expected  # nothing more came
    with rig.app.db.connect() as conn:
        sam = store.get_coachee(conn, rig.coachee_id)
    assert (sam.consent_store, sam.consent_share, sam.timezone) == (True, True, "Europe/London")
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [line for line in logged if "London" in line or "hello" in line]


async def test_a_transport_restarted_during_the_outage_loses_nothing(
    rig: Rig, tmp_path: Path, screener: MarkerScreener
) -> None:
    expected = await outage_free(tmp_path, screener, ONBOARDING[:3])
    await rig.start()
    await rig.sam.send_text(ONBOARDING[0])

    async def first_answered_and_confirmed() -> bool:
        return len(await rig.sam.bot_messages()) == 1 and await rig.pending() == []

    await eventually(first_answered_and_confirmed)
    lock = WriteLock(sqlite_path(rig.app))
    await rig.sam.send_text(ONBOARDING[1])
    second = f"m:{SAM_TG_ID}:{(await rig.sam.state())['pendingUpdates'][0]['message']['message_id']}"

    async def second_refused() -> bool:
        return rig.failed(second) >= 1

    await eventually(second_refused)
    await rig.stop_transport()
    assert await rig.pending() == [ONBOARDING[1]]  # the stop confirmed nothing it hadn't handled

    await rig.sam.send_text(ONBOARDING[2])  # while no bot is running at all
    failed_before_restart = rig.failed(second)
    await rig.start()

    async def refused_after_restart() -> bool:
        return rig.failed(second) > failed_before_restart

    await eventually(refused_after_restart)
    assert await rig.pending() == ONBOARDING[1:3]
    lock.release()

    async def all_answered_and_confirmed() -> bool:
        return len(await rig.sam.bot_messages()) >= len(expected) and await rig.pending() == []

    await eventually(all_answered_and_confirmed)
    assert await rig.shown() == expected
    assert len(rig.receipts()) == 3
    assert [message_id for message_id, stored in rig.attempts if stored] == rig.receipts()


async def test_a_button_pressed_during_the_outage_is_answered_once_and_handled_when_it_is_back(
    rig: Rig, tmp_path: Path, screener: MarkerScreener
) -> None:
    expected = await outage_free(tmp_path, screener, ONBOARDING[:2])
    await rig.start()
    await rig.sam.send_text(ONBOARDING[0])
    question = await rig.sam.wait_for_bot_message(lambda m: "reply_markup" in m, timeout=10.0)
    lock = WriteLock(sqlite_path(rig.app))

    await rig.sam.press_button(question["message_id"], button_text="Yes")
    [press] = (await rig.sam.state())["pendingUpdates"]
    pressed = f"cb:{press['callback_query']['id']}"

    async def refused_twice() -> bool:
        return rig.failed(pressed) >= 2

    await eventually(refused_twice)
    state = await rig.sam.state()
    assert [u["update_id"] for u in state["pendingUpdates"]] == [press["update_id"]]
    assert len(state["callbackAnswers"]) == 1  # the spinner was stopped once, not at every try
    lock.release()

    async def next_question_shown() -> bool:
        return len(await rig.sam.bot_messages()) >= len(expected)

    await eventually(next_question_shown)
    assert (await rig.shown())[1:] == expected[1:]
    assert [message_id for message_id, stored in rig.attempts if stored][1:] == [pressed]
    assert len((await rig.sam.state())["callbackAnswers"]) == 1


async def test_a_stop_mid_turn_lets_the_turn_finish_and_confirms_it_to_telegram(rig: Rig) -> None:
    stops: list[asyncio.Task[None]] = []
    handle = rig.handle

    async def stopped_during_the_turn(msg: InboundMessage) -> None:
        assert rig.transport is not None
        stops.append(asyncio.create_task(rig.transport.stop()))
        await asyncio.sleep(0)  # stop() is now waiting for this turn
        await handle(msg)

    rig.handle = stopped_during_the_turn  # type: ignore[method-assign]
    await rig.start()
    await rig.sam.send_text(ONBOARDING[0])

    async def stopping() -> bool:
        return bool(stops)

    await eventually(stopping)
    await stops[0]
    assert rig.attempts == [(rig.receipts()[0], True)]
    assert await rig.pending() == []  # stop() told Telegram, so a restart won't fetch it again


class Crash(BaseException):
    """The process dying: nothing after this point in the transport runs."""


async def test_a_turn_stored_just_before_a_crash_comes_again_and_is_not_answered_twice(
    rig: Rig, tmp_path: Path, screener: MarkerScreener
) -> None:
    expected = await outage_free(tmp_path, screener, ONBOARDING[:2])
    crashed: list[str] = []
    handle = rig.handle

    async def crash_after_the_commit(msg: InboundMessage) -> None:
        await handle(msg)
        if not crashed:  # stored, but the process dies before telling Telegram
            crashed.append(msg.message_id)
            raise Crash

    rig.handle = crash_after_the_commit  # type: ignore[method-assign]
    await rig.start()
    await rig.sam.send_text(ONBOARDING[0])

    async def died() -> bool:
        return bool(crashed)

    await eventually(died)
    await rig.stop_transport()
    assert await rig.pending() == [ONBOARDING[0]]  # Telegram will deliver it again
    await rig.sam.send_text(ONBOARDING[1])
    await rig.start()

    async def all_answered_and_confirmed() -> bool:
        return len(await rig.sam.bot_messages()) >= len(expected) and await rig.pending() == []

    await eventually(all_answered_and_confirmed)
    assert await rig.shown() == expected  # the first message's answer once, not twice
    first = crashed[0]
    assert [message_id for message_id, stored in rig.attempts if stored][:2] == [first, first]  # came again
    assert len(rig.receipts()) == 2


async def test_a_slack_event_during_the_outage_gets_a_500_and_its_retry_afterwards_is_handled_once(
    config: Config, screener: MarkerScreener, fake_slack: FakeSlack
) -> None:
    harness = make_harness(config, screener)
    short_busy_timeout(harness.app.db)
    slack = SlackTransport(slack_config(fake_slack))
    harness.app.add_transport(slack)
    await slack.start(harness.app.engine.handle)
    signer = SlackRequestSigner(SIGNING_SECRET)
    event_ = message_im_event("hello", user=STRANGER, channel=STRANGER_DM)

    async def post(**options: Any) -> int:
        request = signer.event(event_, envelope={"event_id": "Ev0OUTAGE"}, **options)
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{slack.port}/slack/events", data=request.content, headers=request.headers) as r:
            return r.status

    try:
        lock = WriteLock(sqlite_path(harness.app))
        assert await post() == 500
        assert await post(retry_num=1, retry_reason="http_error") == 500  # still down: not acknowledged
        lock.release()
        assert await post(retry_num=2, retry_reason="http_error") == 200
        assert await post(retry_num=3, retry_reason="http_error") == 200  # a duplicate now: handled once
        assert await harness.app.outbox.deliver_due() == 1
        posts = [c.args for c in fake_slack.successful_calls_to("chat.postMessage")]
        assert [p["channel"] for p in posts] == [STRANGER_DM]
        with harness.app.db.connect() as conn:
            assert conn.execute(select(t.inbound_receipts.c.transport)).scalars().all() == ["slack"]
    finally:
        await slack.stop()
        harness.app.db.dispose()
