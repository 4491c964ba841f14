"""The Telegram transport end to end: the real engine on a SQLite file, PTB 22, and the Bot API emulator.

Each test acts as Telegram users through the emulator and watches what the bot sends back; nothing in
the transport or PTB is mocked. Each test has its own bot token, so tests stay apart in the shared emulator.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.config import Config, TelegramConfig
from bot.storage import schema as t
from bot.storage import store
from bot.transports.base import DeliveryError, InboundHandler
from bot.transports.retry import Backoff
from bot.transports.telegram import TelegramSetupError, TelegramTransport
from bot.types import Attachment, Button, ConversationKey, Outbound, Reply
from bot.wording import EngineWording
from flows.stepper import ProfileChange
from tests.conftest import MarkerScreener, make_harness

from .helpers.media import tiny_png
from .helpers.telegram_emulator import EmulatorProcess, TelegramUser

COACH_TG_ID = 5001
SECRET = "s3cret-Token_1"
TEXT_ONLY = "I can only read text messages"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0) -> None:
    """Wait for a condition; the timeout only bounds a hang, nothing here measures time."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


async def reply_to(user: TelegramUser, containing: str) -> dict[str, Any]:
    return await user.wait_for_bot_message(lambda m: containing in (m.get("text") or ""), timeout=10.0)


@dataclass
class Rig:
    """The real app (engine, outbox, SQLite) with the Telegram transport pointed at the emulator."""

    app: App
    emulator: EmulatorProcess
    token: str
    coach_id: int
    transport: TelegramTransport | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    sender: asyncio.Task[None] | None = None

    @property
    def coach(self) -> TelegramUser:
        return self.user(COACH_TG_ID, "Robin")

    def user(self, user_id: int, first_name: str = "Sam", *, chat_id: int | None = None) -> TelegramUser:
        return self.emulator.user(self.token, user_id=user_id, chat_id=chat_id, first_name=first_name)

    def telegram_config(self, **changes: Any) -> TelegramConfig:
        return TelegramConfig(enabled=True, token=self.token, base_url=self.emulator.base_url,
                              base_file_url=self.emulator.base_file_url, poll_interval=0.05, **changes)

    async def start(
        self, *, handler: InboundHandler | None = None, give_up_after: float = 900.0, **changes: Any
    ) -> TelegramTransport:
        transport = TelegramTransport(self.telegram_config(**changes), poll_timeout=1.0,
                                      backoff=Backoff(retry_delay=0.05, give_up_after=give_up_after))
        self.app.add_transport(transport)
        self.transport = transport
        self.sender = asyncio.create_task(self.app.outbox.run(self.stopping, idle_wait=0.05))
        await transport.start(handler or self.app.engine.handle)
        return transport

    async def close(self) -> None:
        self.stopping.set()
        if self.sender is not None:
            await self.sender
        if self.transport is not None:
            await self.transport.stop()

    def add_coachee(self, user: TelegramUser, *, name: str = "Sam Jones") -> int:
        """An onboarded coachee of the Telegram coach, registered with this user's Telegram id."""
        with self.app.db.begin() as conn:
            coachee = store.add_coachee(conn, coach_id=self.coach_id, name=name, at=self.app.engine.clock())
            store.add_identity(conn, transport="telegram", external_id=str(user.user_id), coachee_id=coachee.id,
                               chat_id=str(user.chat_id))
            store.apply_profile(conn, coachee.id, [
                ProfileChange(field="consent_store", value="yes"), ProfileChange(field="consent_share", value="yes"),
                ProfileChange(field="timezone", value="Europe/London")])
        return coachee.id

    def receipts(self) -> list[str]:
        with self.app.db.connect() as conn:
            return [r.message_id for r in conn.execute(select(t.inbound_receipts)
                                                       .where(t.inbound_receipts.c.transport == "telegram"))]


@pytest.fixture
async def rig(
    config: Config, screener: MarkerScreener, telegram_emulator: EmulatorProcess, tg_token: str
) -> AsyncIterator[Rig]:
    harness = make_harness(config, screener)
    with harness.app.db.begin() as conn:
        coach = store.add_coach(conn, name="Robin Coach", at=harness.app.engine.clock())
        store.add_identity(conn, transport="telegram", external_id=str(COACH_TG_ID), coach_id=coach.id,
                           chat_id=str(COACH_TG_ID))
    the_rig = Rig(app=harness.app, emulator=telegram_emulator, token=tg_token, coach_id=coach.id)
    yield the_rig
    await the_rig.close()
    harness.app.db.dispose()


@pytest.fixture
def sam(telegram_emulator: EmulatorProcess, tg_token: str) -> TelegramUser:
    """Someone the bot writes to, in tests of sending alone."""
    return telegram_emulator.user(tg_token, user_id=7100, first_name="Sam")


@pytest.fixture
async def bare(telegram_emulator: EmulatorProcess, tg_token: str) -> AsyncIterator[TelegramTransport]:
    """A transport that only sends (not started), for checking what one send does."""
    transport = TelegramTransport(TelegramConfig(enabled=True, token=tg_token, base_url=telegram_emulator.base_url,
                                                 base_file_url=telegram_emulator.base_file_url))
    yield transport
    await transport.stop()


def outbound(user: TelegramUser, reply: Reply) -> Outbound:
    key = ConversationKey(transport="telegram", user=str(user.user_id), chat=str(user.chat_id))
    return Outbound(key=key, reply=reply, outbox_id=1)


# receiving and joining

async def test_start_sets_the_command_menu_and_a_stranger_gets_the_invite_prompt(rig: Rig) -> None:
    await rig.start()
    stranger = rig.user(7001, "Kim")

    await stranger.send_text("hello")

    prompt = await reply_to(stranger, "invite code")
    assert "reply_markup" not in prompt
    [menu] = (await stranger.state())["commands"]
    assert [c["command"] for c in menu["commands"]] == [c.word for c in EngineWording.load().commands]
    help_text = EngineWording.load().command_list()
    assert all(f"/{c['command']}: " in help_text for c in menu["commands"])  # one table for the menu and /help
    assert {"help", "skip", "back", "pause", "resume", "stop", "privacy", "journal"} <= {
        c["command"] for c in menu["commands"]}


async def start_with_invite(rig: Rig, user: TelegramUser) -> dict[str, Any]:
    """The deep link t.me/<bot>?start=CODE arrives as "/start CODE"; returns the first question shown."""
    with rig.app.db.begin() as conn:
        code = store.create_invite(conn, coach_id=rig.coach_id, at=rig.app.engine.clock(), valid_for=timedelta(days=7))
    await user.send_command(f"/start {code}")
    return await user.wait_for_bot_message(lambda m: "reply_markup" in m, timeout=10.0)


async def test_start_with_an_invite_code_makes_a_coachee_and_starts_onboarding(rig: Rig) -> None:
    await rig.start()
    ada = rig.user(7002, "Ada")

    question = await start_with_invite(rig, ada)

    assert question["text"].startswith("Hello Ada")
    assert question["text"].endswith("Shall we start?")
    assert [[b["text"] for b in row] for row in question["reply_markup"]["inline_keyboard"]] == [["Yes", "No"]]
    with rig.app.db.connect() as conn:
        identity = store.find_identity(conn, transport="telegram", external_id="7002")
        assert identity is not None and identity.coachee_id is not None
        assert identity.chat_id == "7002"
        coachee = store.get_coachee(conn, identity.coachee_id)
    assert (coachee.name, coachee.coach_id) == ("Ada", rig.coach_id)


async def test_pressing_a_button_answers_it_shows_the_choice_and_moves_the_flow_on(rig: Rig) -> None:
    await rig.start()
    ada = rig.user(7003, "Ada")
    question = await start_with_invite(rig, ada)
    yes = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    await ada.press_button(question["message_id"], button_text="Yes")

    await reply_to(ada, "Are you happy for me to keep your answers?")

    async def marked() -> bool:
        shown = next(m for m in await ada.bot_messages() if m["message_id"] == question["message_id"])
        return bool(shown["text"].endswith("Shall we start?\n\n→ Yes") and "reply_markup" not in shown)

    await eventually(marked)
    assert len((await ada.state())["callbackAnswers"]) == 1

    # The same old button pressed again (say from another device still showing it) still reaches the engine,
    # which asks the current question again.
    await ada.press_button(question["message_id"], data=yes)
    await reply_to(ada, "That button belongs to an earlier question")
    assert len((await ada.state())["callbackAnswers"]) == 2


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "edited"])
async def test_non_text_messages_get_the_text_only_reply(rig: Rig, screener: MarkerScreener, kind: str) -> None:
    await rig.start()
    sam = rig.user(7004)
    rig.add_coachee(sam)

    if kind == "edited":
        await sam.edit_text(41, "what I meant to say")
    else:
        await sam.send_media(kind)

    reply = await reply_to(sam, TEXT_ONLY)
    assert reply["text"].startswith("Thanks, Sam.")
    # An edit's words are still screened for risk; a photo or sticker without a caption has none.
    assert screener.calls == (["what I meant to say"] if kind == "edited" else [])
    [receipt] = rig.receipts()
    assert receipt.startswith("e:7004:41:" if kind == "edited" else "m:7004:")


async def test_group_chats_are_ignored(rig: Rig) -> None:
    await rig.start()
    in_group = rig.user(7005, "Kim", chat_id=-100500)
    in_private = rig.user(7005, "Kim")

    await in_group.send_text("hello everyone")
    await in_private.send_text("hello")

    await reply_to(in_private, "invite code")  # updates are handled in order, so the group one is done too
    assert await in_group.bot_messages() == []
    assert [r.split(":")[1] for r in rig.receipts()] == ["7005"]


# safety

async def test_a_crisis_message_gets_the_crisis_reply_and_the_coach_is_alerted_on_telegram(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await rig.start()
    sam = rig.user(7006)
    coachee_id = rig.add_coachee(sam)

    await sam.send_text("[crisis] I can't see a way through this")

    crisis = await reply_to(sam, "I'm not a crisis service")
    assert "Samaritans" in crisis["text"] and "999" in crisis["text"]
    alert = await reply_to(rig.coach, "Safety alert for Sam Jones")
    assert f"coachee {coachee_id}" in alert["text"]
    assert "see a way through" not in alert["text"]

    async def alert_marked_delivered() -> bool:
        with rig.app.db.connect() as conn:
            return bool(conn.execute(select(t.safety_events.c.alert_delivered)).scalar_one())

    await eventually(alert_marked_delivered)
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "see a way through" in r.getMessage()]


# webhook mode

async def start_webhook(rig: Rig) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    await rig.start(mode="webhook", listen="127.0.0.1", port=port, webhook_path="/telegram", webhook_url=url,
                    secret_token=SECRET)
    return url


def private_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Kim"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {**person, "type": "private"}, "from": person,
        "text": text}}


async def test_webhook_refuses_requests_without_the_secret_token(rig: Rig) -> None:
    url = await start_webhook(rig)
    kim = rig.user(7007, "Kim")

    async with httpx.AsyncClient(trust_env=False, timeout=10.0) as http:
        missing = await http.post(url, json=private_update(1, 7007, "hello"))
        wrong = await http.post(url, json=private_update(2, 7007, "hello"),
                                headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"})
        right = await http.post(url, json=private_update(3, 7007, "hello"),
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})

    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    await reply_to(kim, "invite code")
    assert rig.receipts() == ["m:7007:3"]
    assert (await kim.state())["webhook"] == {"url": url, "has_secret_token": True}
    assert (await kim.state())["webhookMaxConnections"] == 1  # one update at a time: each chat's order holds


async def test_webhook_refuses_a_body_over_1_mb_unread_and_the_secret_is_checked_first(rig: Rig) -> None:
    url = await start_webhook(rig)
    kim = rig.user(7017, "Kim")
    huge = private_update(1, 7017, "x" * (1024 * 1024 + 1))
    async with httpx.AsyncClient(trust_env=False, timeout=10.0) as http:
        unsigned = await http.post(url, json=huge)
        too_big = await http.post(url, json=huge, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused as it goes past 1 MB
            yield b'{"update_id": 2, "padding": "'
            for _ in range(2 * 1024):
                yield b"y" * 1024
            yield b'"}'

        streamed = await http.post(url, content=chunks(), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                                                   "Content-Type": "application/json"})
        fine = await http.post(url, json=private_update(3, 7017, "hello"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert (unsigned.status_code, too_big.status_code, streamed.status_code, fine.status_code) == (
        403, 413, 413, 200)
    await reply_to(kim, "invite code")
    assert rig.receipts() == ["m:7017:3"]


async def test_webhook_mode_round_trip(rig: Rig) -> None:
    await start_webhook(rig)
    sam = rig.user(7008)
    rig.add_coachee(sam)

    await sam.send_text("hello")

    await reply_to(sam, "Thanks, Sam")
    assert [d["status"] for d in (await sam.state())["webhookDeliveries"]] == [200]


# failures

async def test_a_blocked_bot_makes_the_coachee_unreachable_and_tells_their_coach(rig: Rig) -> None:
    await rig.start()
    sam = rig.user(7009)
    coachee_id = rig.add_coachee(sam)
    await sam.fail_bot_call("sendMessage", error_code=403, description="Forbidden: bot was blocked by the user")

    await sam.send_text("hello")

    notice = await reply_to(rig.coach, "I can't reach Sam Jones on Telegram")
    assert "blocked the bot" in notice["text"]
    assert await sam.bot_messages() == []
    with rig.app.db.connect() as conn:
        unreachable_at = conn.execute(select(t.identities.c.unreachable_at)
                                      .where(t.identities.c.coachee_id == coachee_id)).scalar_one()
        [row] = store.outbox_rows(conn, statuses=["dead"])
    assert unreachable_at is not None
    assert (row.chat_id, row.attempts) == ("7009", 1)
    assert row.last_error is not None and "blocked by the user" in row.last_error


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB on a 429
@pytest.mark.parametrize(
    ("code", "description", "retry_after", "expected", "reason"),
    [
        (403, "Forbidden: user is deactivated", None, {"unreachable": True, "permanent": True, "retry_after": None},
         "user is deactivated"),
        (400, "Bad Request: chat not found", None, {"unreachable": False, "permanent": True, "retry_after": None},
         "chat not found"),
        (429, "Too Many Requests: retry after 7", 7, {"unreachable": False, "permanent": False, "retry_after": 7.0},
         "retry in 7"),
        (502, "Bad Gateway", None, {"unreachable": False, "permanent": False, "retry_after": None}, "bad gateway"),
    ],
)
async def test_bot_api_errors_become_delivery_errors_the_outbox_understands(
    bare: TelegramTransport, sam: TelegramUser, code: int, description: str, retry_after: int | None,
    expected: dict[str, object], reason: str,
) -> None:
    await sam.fail_bot_call("sendMessage", error_code=code, description=description, retry_after=retry_after)

    with pytest.raises(DeliveryError) as caught:
        await bare.send(outbound(sam, Reply(text="Hello")))

    error = caught.value
    got = {"unreachable": error.unreachable, "permanent": error.permanent, "retry_after": error.retry_after}
    assert got == expected
    assert reason in error.reason.lower()
    # Exactly one attempt: the rate limiter left the retry to the outbox, and the next send goes through.
    assert len((await sam.state())["failedCalls"]) == 1
    sent_id = await bare.send(outbound(sam, Reply(text="Hello again")))
    [shown] = await sam.bot_messages()
    assert (str(shown["message_id"]), shown["text"]) == (sent_id, "Hello again")


async def test_an_unreachable_api_is_a_retryable_delivery_error(tg_token: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    transport = TelegramTransport(TelegramConfig(enabled=True, token=tg_token, base_url=f"{dead}/bot",
                                                 base_file_url=f"{dead}/file/bot"))
    try:
        key = ConversationKey(transport="telegram", user="1", chat="1")
        with pytest.raises(DeliveryError) as caught:
            await transport.send(Outbound(key=key, reply=Reply(text="Hello"), outbox_id=1))
    finally:
        await transport.stop()
    assert not caught.value.permanent and caught.value.retry_after is None


async def test_a_failing_command_menu_only_warns(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    kim = rig.user(7011, "Kim")
    await kim.fail_bot_call("setMyCommands", error_code=500, description="Internal Server Error", any_chat=True)

    await rig.start()
    await kim.send_text("hello")

    await reply_to(kim, "invite code")
    assert any(r.levelno == logging.WARNING and "command menu" in r.getMessage() for r in caplog.records)
    assert (await kim.state())["commands"] == []


async def test_a_turn_that_could_not_be_stored_is_handed_over_again_in_order(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    seen: list[str] = []
    real = store.record_receipt

    def database_down_once(conn: Any, *, transport: str, message_id: str, at: Any) -> bool:
        seen.append(message_id)
        if len(seen) == 1:
            raise OperationalError("INSERT INTO inbound_receipts", {}, Exception("database is locked"))
        return real(conn, transport=transport, message_id=message_id, at=at)

    monkeypatch.setattr(store, "record_receipt", database_down_once)
    await rig.start()
    kim = rig.user(7012, "Kim")

    await kim.send_text("my first message")
    await kim.send_text("my second message")

    async def both_answered() -> bool:
        return len(await kim.bot_messages()) == 2

    await eventually(both_answered)
    first, again, second = seen
    assert first == again
    assert int(first.split(":")[2]) < int(second.split(":")[2])
    assert any(r.levelno == logging.ERROR and "could not be stored" in r.getMessage() for r in caplog.records)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [line for line in logged if "my first" in line or "my second" in line]


async def test_a_message_that_keeps_failing_for_its_own_sake_is_given_up_so_the_chats_move_on(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tried: list[str] = []
    real = store.record_receipt

    def first_message_always_fails(conn: Any, *, transport: str, message_id: str, at: Any) -> bool:
        tried.append(message_id)
        if message_id == tried[0]:
            raise ValueError("something about this one message")  # a fault, not the database being down
        return real(conn, transport=transport, message_id=message_id, at=at)

    monkeypatch.setattr(store, "record_receipt", first_message_always_fails)
    await rig.start(give_up_after=0.2)
    kim = rig.user(7018, "Kim")

    await kim.send_text("this one can't be stored")
    await kim.send_text("hello")

    await reply_to(kim, "invite code")
    assert len(await kim.bot_messages()) == 1
    *failed, last = tried  # handed over, tried again until give_up_after had passed, skipped; then the next one
    assert len(failed) >= 2 and set(failed) == {tried[0]} and last != tried[0]
    assert rig.receipts() == [last]
    assert any(r.levelno == logging.ERROR and "gave up on update" in r.getMessage() for r in caplog.records)

    async def both_confirmed() -> bool:  # confirmed by the offset of the next getUpdates, which comes a poll later
        return (await kim.state())["pendingUpdates"] == []

    await eventually(both_confirmed)


async def test_in_webhook_mode_a_turn_that_could_not_be_stored_is_answered_503_and_telegram_sends_it_again(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real = store.record_receipt

    def database_down_once(conn: Any, *, transport: str, message_id: str, at: Any) -> bool:
        seen.append(message_id)
        if len(seen) == 1:
            raise OperationalError("INSERT INTO inbound_receipts", {}, Exception("database is locked"))
        return real(conn, transport=transport, message_id=message_id, at=at)

    monkeypatch.setattr(store, "record_receipt", database_down_once)
    await start_webhook(rig)
    kim = rig.user(7020, "Kim")

    await kim.send_text("hello")

    await reply_to(kim, "invite code")
    first, again = seen
    assert first == again
    # Not stored, so not acknowledged: Telegram delivered it again, and the second time it was stored.
    assert [d["status"] for d in (await kim.state())["webhookDeliveries"]] == [503, 200]
    assert rig.receipts() == [first]


# sending

async def test_a_button_payload_over_64_bytes_fails_permanently_and_nothing_is_sent(
    bare: TelegramTransport, sam: TelegramUser
) -> None:
    too_long = Reply(text="Pick one", buttons=(Button(label="Ok", payload="é" * 33),))  # 33 characters, 66 bytes

    with pytest.raises(DeliveryError) as caught:
        await bare.send(outbound(sam, too_long))

    assert caught.value.permanent
    assert await sam.bot_messages() == []
    await bare.send(outbound(sam, Reply(text="Pick one", buttons=(Button(label="Ok", payload="x" * 64),))))
    [shown] = await sam.bot_messages()
    assert shown["reply_markup"]["inline_keyboard"] == [[{"text": "Ok", "callback_data": "x" * 64}]]


async def test_long_text_is_split_with_the_buttons_on_the_last_part(bare: TelegramTransport, sam: TelegramUser) -> None:
    text = "\n\n".join(f"Paragraph {n}." + " word" * 80 for n in range(12))  # about 5,000 characters
    scale = tuple(Button(label=str(n), payload=f"pre_session:scale:{n}") for n in range(1, 11))

    sent_id = await bare.send(outbound(sam, Reply(text=text, buttons=scale)))

    first, last = await sam.bot_messages()
    assert len(first["text"]) <= 4096 and "reply_markup" not in first
    assert f"{first['text']}\n\n{last['text']}" == text
    assert [[b["text"] for b in row] for row in last["reply_markup"]["inline_keyboard"]] == [
        ["1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]
    assert sent_id == str(last["message_id"])


async def test_an_image_goes_as_a_photo_with_the_text_as_its_caption(
    bare: TelegramTransport, sam: TelegramUser
) -> None:
    chart = Attachment(filename="week.png", media_type="image/png", data=tiny_png(4, 3))

    sent_id = await bare.send(outbound(sam, Reply(text="Your week", attachment=chart)))

    [photo] = await sam.bot_messages()
    assert sent_id == str(photo["message_id"])
    assert photo["caption"] == "Your week"
    assert (photo["photo"][0]["width"], photo["photo"][0]["height"]) == (4, 3)


async def test_a_long_text_with_an_image_goes_first_then_the_photo(bare: TelegramTransport, sam: TelegramUser) -> None:
    chart = Attachment(filename="week.png", media_type="image/png", data=tiny_png())
    text = " ".join(["Your week in short."] * 60)  # over Telegram's 1,024-character caption limit

    sent_id = await bare.send(outbound(sam, Reply(text=text, attachment=chart)))

    words, photo = await sam.bot_messages()
    assert words["text"] == text
    assert "caption" not in photo and photo["photo"]
    assert sent_id == str(photo["message_id"])


async def test_a_chart_with_alt_text_goes_after_the_text_with_the_alt_text_as_its_caption(
    bare: TelegramTransport, sam: TelegramUser
) -> None:
    alt = "Scaling chart, 1 to 10, 2 readings oldest first: 4 on 19 Nov (pre-session), 7 on 1 Dec (check-in)."
    chart = Attachment(filename="scaling.png", media_type="image/png", data=tiny_png(4, 3), alt_text=alt)

    sent_id = await bare.send(outbound(sam, Reply(text="# Digest\n- **Goal**: calmer meetings", attachment=chart,
                                                  markdown=True)))

    words, photo = await sam.bot_messages()
    assert words["text"] == "<b>Digest</b>\n• <b>Goal</b>: calmer meetings"  # as sent, in Telegram's HTML
    assert photo["caption"] == alt and photo["photo"]
    assert sent_id == str(photo["message_id"])


async def test_other_files_go_as_documents(bare: TelegramTransport, sam: TelegramUser) -> None:
    notes = Attachment(filename="notes.pdf", media_type="application/pdf", data=b"%PDF-1.4 tiny")

    sent_id = await bare.send(outbound(sam, Reply(text="Your notes", attachment=notes)))

    [document] = await sam.bot_messages()
    assert sent_id == str(document["message_id"])
    assert document["caption"] == "Your notes"
    assert (document["document"]["file_name"], document["document"]["file_size"]) == ("notes.pdf", 13)


# configuration

@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"token": ""}, "COACHBOT_TELEGRAM_TOKEN"),
        ({"mode": "webhook", "secret_token": SECRET}, "webhook_url"),
        ({"mode": "webhook", "webhook_url": "https://bot.example.org/telegram"}, "COACHBOT_TELEGRAM_SECRET_TOKEN"),
        ({"mode": "webhook", "webhook_url": "https://bot.example.org/telegram", "secret_token": "has spaces"},
         "secret_token"),
    ],
)
def test_a_config_that_cannot_work_is_refused_up_front(changes: dict[str, Any], complaint: str) -> None:
    config = TelegramConfig(**{"enabled": True, "token": "123:abc", **changes})
    with pytest.raises(TelegramSetupError, match=complaint):
        TelegramTransport(config)


async def test_a_rejected_token_stops_start_up_without_quoting_the_token(rig: Rig, tg_token: str) -> None:
    kim = rig.user(7019, "Kim")
    await kim.fail_bot_call("getMe", error_code=401, description="Unauthorized", times=2, any_chat=True)

    with pytest.raises(TelegramSetupError, match="rejected the bot token") as caught:
        await rig.start()
    assert tg_token not in str(caught.value)

    # The outbox stores and logs a failed send's reason: that must not quote the token either.
    transport = rig.app.transports["telegram"]
    with pytest.raises(DeliveryError) as failed:
        await transport.send(outbound(kim, Reply(text="Hello")))
    assert "rejected the bot token" in failed.value.reason and tg_token not in failed.value.reason
    assert not failed.value.permanent


async def test_at_debug_no_log_line_of_a_whole_conversation_holds_the_coachees_words(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # as an operator chasing a problem would (COACHBOT_LOG_LEVEL=DEBUG)
    await rig.start()
    sam = rig.user(7011)
    rig.add_coachee(sam)
    await sam.send_text("hello from the lighthouse")
    await reply_to(sam, "nothing waiting for you")
    await sam.send_text("[crisis] the lighthouse is dark")
    await reply_to(sam, "I'm not a crisis service")
    await reply_to(rig.coach, "Safety alert for Sam Jones")
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG  # still: nothing turned it back up
    assert [r.name for r in caplog.records if "lighthouse" in r.getMessage()] == []
    assert [r.name for r in caplog.records if rig.token in r.getMessage()] == []  # httpx's URLs carry it


# readiness

async def test_polling_is_receiving_while_getupdates_answers(rig: Rig) -> None:
    kim = rig.user(7020, "Kim")
    transport = await rig.start()
    assert transport.receiving() is True
    await kim.fail_bot_call("getUpdates", error_code=502, description="Bad Gateway", times=1000, any_chat=True)

    async def not_receiving() -> bool:
        return not transport.receiving()

    await eventually(not_receiving)  # readiness sees it as soon as a poll fails
    await rig.close()
    assert transport.receiving() is False


async def test_a_webhook_is_receiving_while_its_server_listens(rig: Rig) -> None:
    await start_webhook(rig)
    assert rig.transport is not None and rig.transport.receiving() is True
    await rig.close()
    assert rig.transport.receiving() is False


async def test_a_reply_that_must_not_be_previewed_asks_telegram_for_no_link_preview(
        bare: TelegramTransport, sam: TelegramUser) -> None:
    """A one-time sign-in link would be used up if Telegram's servers fetched it to draw a preview."""
    link = "https://coach.example.org/coach/signin/abc"
    await bare.send(outbound(sam, Reply(text=f"Open {link}", link_preview=False)))
    await bare.send(outbound(sam, Reply(text=f"Read {link}")))

    once, other = await sam.bot_messages()
    assert once["link_preview_options"] == {"is_disabled": True}
    assert "link_preview_options" not in other
