"""Real python-telegram-bot 22 calls against telegram-test-api + our compat layer (launch.js).

No mocks: every test talks HTTP to the Node emulator on 127.0.0.1. Each test uses its own
bot token, which isolates it inside the shared (session-scoped) emulator process.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Conflict
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from .helpers.media import tiny_png
from .helpers.telegram_emulator import EmulatorProcess, TelegramUser


def make_bot(emulator: EmulatorProcess, token: str) -> Bot:
    return Bot(token, base_url=emulator.base_url, base_file_url=emulator.base_file_url)


def make_application(emulator: EmulatorProcess, token: str) -> Application:  # type: ignore[type-arg]
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )


async def eventually(check: Callable[[], Awaitable[bool] | bool], *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def bot(telegram_emulator: EmulatorProcess, tg_token: str) -> AsyncIterator[Bot]:
    async with make_bot(telegram_emulator, tg_token) as the_bot:
        yield the_bot


@pytest.fixture
def user(telegram_emulator: EmulatorProcess, tg_token: str) -> TelegramUser:
    return telegram_emulator.user(tg_token, user_id=4242, first_name="Ada", username="ada")


# -- basic Bot API methods ---------------------------------------------------------------
async def test_get_me_returns_a_bot_user(bot: Bot, tg_token: str) -> None:
    me = await bot.get_me()
    assert isinstance(me, User)
    assert me.is_bot is True
    assert me.id == int(tg_token.split(":")[0])  # like Telegram: the id is the token prefix
    assert bot.username == "TestNameBot"


async def test_send_message_returns_message_with_date_and_sender(bot: Bot, user: TelegramUser) -> None:
    message = await bot.send_message(chat_id=user.chat_id, text="Hello <b>Ada</b>", parse_mode="HTML")

    assert isinstance(message, Message)
    assert message.text == "Hello <b>Ada</b>"
    assert message.chat.id == user.chat_id
    assert message.date.tzinfo is not None
    assert abs(message.date - dtm.datetime.now(dtm.UTC)) < dtm.timedelta(minutes=1)
    assert message.from_user is not None
    assert message.from_user.id == bot.id
    assert message.from_user.is_bot is True
    [seen] = await user.bot_messages()
    assert seen["message_id"] == message.message_id
    assert seen["text"] == "Hello <b>Ada</b>"


async def test_inline_keyboard_callback_answer_and_edits(bot: Bot, user: TelegramUser) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
    )
    sent = await bot.send_message(chat_id=user.chat_id, text="Ready?", reply_markup=keyboard)
    assert sent.reply_markup == keyboard

    await user.press_button(sent.message_id, button_text="Yes")
    updates = await bot.get_updates(timeout=2)

    assert len(updates) == 1
    query = updates[0].callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "yes"
    assert query.chat_instance
    assert query.from_user.id == user.user_id
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "Ready?"
    assert query.message.reply_markup == keyboard

    assert await query.answer(text="Noted") is True
    assert await bot.answer_callback_query(query.id) is True

    edited = await query.edit_message_text("Ready? -> yes")  # edits via chat_id + message_id
    assert isinstance(edited, Message)
    assert edited.message_id == sent.message_id
    assert edited.text == "Ready? -> yes"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # Telegram drops the keyboard when an edit omits it

    again = InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data="undo")]])
    edited = await bot.edit_message_reply_markup(
        chat_id=user.chat_id, message_id=sent.message_id, reply_markup=again
    )
    assert isinstance(edited, Message)
    assert edited.reply_markup == again

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("nope", chat_id=user.chat_id, message_id=999_999)

    state = await user.state()
    assert [a["text"] for a in state["callbackAnswers"]] == ["Noted", None]
    [shown] = state["botMessages"]
    assert shown["text"] == "Ready? -> yes"
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "undo"

    # confirming the update (offset = last + 1) means it is not handed out again
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()
    assert await bot.get_updates() == ()


async def test_set_my_commands(bot: Bot) -> None:
    commands = [BotCommand("start", "Start over"), BotCommand("help", "What can I do?")]
    assert await bot.set_my_commands(commands) is True
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()


async def test_send_chat_action(bot: Bot, user: TelegramUser) -> None:
    assert await bot.send_chat_action(chat_id=user.chat_id, action=ChatAction.TYPING) is True
    [action] = (await user.state())["chatActions"]
    assert action["chat_id"] == user.chat_id
    assert action["action"] == "typing"


async def test_send_photo_upload_is_visible_and_downloadable(bot: Bot, user: TelegramUser) -> None:
    png = tiny_png(3, 2)
    message = await bot.send_photo(chat_id=user.chat_id, photo=png, caption="Your week", filename="week.png")

    assert isinstance(message, Message)
    assert message.caption == "Your week"
    assert message.photo
    size = message.photo[-1]
    assert (size.width, size.height, size.file_size) == (3, 2, len(png))

    [seen] = await user.bot_messages()
    assert seen["caption"] == "Your week"
    assert seen["photo"][0]["file_id"] == size.file_id
    assert any("photo" in entry["message"] for entry in await user.history())

    file = await bot.get_file(size.file_id)
    assert bytes(await file.download_as_bytearray()) == png

    # re-sending by file_id works too, like on Telegram
    again = await bot.send_photo(chat_id=user.chat_id, photo=size.file_id)
    assert again.photo[-1].file_id == size.file_id


# -- receiving updates ---------------------------------------------------------------------
async def test_get_updates_honours_offset_and_long_polling(bot: Bot, user: TelegramUser) -> None:
    await user.send_text("one")
    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["one"]
    assert first[0].message is not None
    assert first[0].message.from_user is not None
    assert first[0].message.from_user.id == user.user_id
    # unconfirmed updates are redelivered, exactly like the real Bot API
    assert [u.update_id for u in await bot.get_updates()] == [first[0].update_id]
    assert await bot.get_updates(offset=first[0].update_id + 1) == ()

    # long polling: the request waits for the user's message instead of returning empty
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5, offset=first[0].update_id + 1))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await user.send_text("two")
    second = await asyncio.wait_for(poll, timeout=3)
    assert [u.message.text for u in second if u.message] == ["two"]
    assert time.monotonic() - started < 3
    assert await bot.get_updates(offset=second[-1].update_id + 1) == ()


async def test_polling_application_receives_each_update_once(
    telegram_emulator: EmulatorProcess, tg_token: str, user: TelegramUser
) -> None:
    texts: list[str] = []
    commands: list[list[str]] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        texts.append(update.effective_message.text or "")
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        commands.append(list(context.args or []))

    application = make_application(telegram_emulator, tg_token)
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))

    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.05, timeout=1)
        try:
            await user.send_text("hello bot")
            await user.send_command("/start deep-link")
            await eventually(lambda: len(texts) == 1 and len(commands) == 1)
            await asyncio.sleep(0.5)  # several more poll cycles: nothing is delivered twice
            assert texts == ["hello bot"]
            assert commands == [["deep-link"]]
            reply = await user.wait_for_bot_message(lambda m: m.get("text") == "echo: hello bot")
            assert reply["chat"]["id"] == user.chat_id
        finally:
            await application.updater.stop()
            await application.stop()

    # PTB confirmed what it processed when it stopped: nothing pending any more
    assert (await user.state())["pendingUpdates"] == []


# -- webhooks --------------------------------------------------------------------------------
async def test_webhook_sends_secret_header_and_delivers_again_after_a_403(
    telegram_emulator: EmulatorProcess, bot: Bot, user: TelegramUser
) -> None:
    received: list[tuple[dict[str, str], dict[str, Any]]] = []
    statuses = [403, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.json()))
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/tg-hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/tg-hook"
    try:
        assert await bot.set_webhook(url, secret_token="s3cr3t-Token_1") is True
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(Conflict):
            await bot.get_updates()

        await user.send_text("first")  # the webhook answers 403, so it comes again (as Telegram does)
        await user.send_text("second")  # ... and waits behind it
        await eventually(lambda: len(received) == 3)

        for headers, _ in received:
            assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1"
        assert [body["message"]["text"] for _, body in received] == ["first", "first", "second"]
        assert received[0][1]["update_id"] == received[1][1]["update_id"] < received[2][1]["update_id"]
        deliveries = (await user.state())["webhookDeliveries"]
        assert [d["status"] for d in deliveries] == [403, 200, 200]

        # the 403 did not take the emulator down
        assert telegram_emulator.alive
        assert (await bot.get_me()).is_bot
        assert await bot.delete_webhook() is True
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_ptb_webhook_server_receives_updates_with_secret(
    telegram_emulator: EmulatorProcess, tg_token: str, user: TelegramUser
) -> None:
    """End to end: PTB's own webhook server (which checks the secret header) behind the emulator."""
    texts: list[str] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        texts.append(update.effective_message.text or "")

    application = make_application(telegram_emulator, tg_token)
    application.add_handler(MessageHandler(filters.TEXT, on_text))
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/telegram"
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="telegram", webhook_url=webhook_url, secret_token="right"
        )
        try:
            await user.send_text("via webhook")
            await eventually(lambda: texts == ["via webhook"])

            # a wrong secret makes PTB answer 403; the emulator records it and keeps running
            await application.bot.set_webhook(webhook_url, secret_token="wrong")
            await user.send_text("rejected")
            state: dict[str, Any] = {}

            async def two_deliveries() -> bool:
                state.update(await user.state())
                return len(state["webhookDeliveries"]) == 2

            await eventually(two_deliveries)
            assert [d["status"] for d in state["webhookDeliveries"]] == [200, 403]
            assert texts == ["via webhook"]
            assert telegram_emulator.alive
        finally:
            await application.updater.stop()
            await application.stop()
