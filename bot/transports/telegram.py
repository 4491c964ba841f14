"""Telegram through python-telegram-bot 22: a thin translator between Bot API updates and the engine.

PTB only receives and sends here (no ConversationHandler, no persistence): updates become InboundMessages,
replies become Bot API calls, and the outbox owns retries, so the rate limiter never retries on its own.
Only private chats are served: coaching talk is personal, so a group chat gets no replies at all.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, ApplicationBuilder
from telegram.warnings import PTBDeprecationWarning

from bot.config import TelegramConfig
from bot.markup import telegram_html
from bot.ratelimit import RateLimits
from bot.transports.base import DeliveryError, InboundHandler, TransportSetupError, TurnFailed, first_start
from bot.transports.http import bound_port, serve
from bot.transports.retry import DEFAULT_BACKOFF, Backoff
from bot.types import Attachment, Button, ConversationKey, InboundMessage, Outbound, Reply
from bot.wording import EngineWording

log = logging.getLogger(__name__)


TRANSPORT = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PAYLOAD_BYTES = 64
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# What a non-text message carries, by Message attribute; checked in this order (an animation is also a document).
MEDIA_KINDS = (
    "photo", "sticker", "voice", "video_note", "animation", "video", "audio", "document", "venue", "location",
    "contact", "poll", "dice", "game", "story", "paid_media", "invoice",
)
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_WEBHOOK_BODY = 1024 * 1024  # an update is a few kilobytes; anything over this is refused unread
# not said: the operator's setup error
TOKEN_REJECTED = "Telegram rejected the bot token (check telegram.token or COACHBOT_TELEGRAM_TOKEN)"


class TelegramSetupError(TransportSetupError):
    """A config or token problem, phrased as the one line the operator sees (never quoting the token)."""


class TelegramTransport:
    """Long polling by default, or a webhook server; see docs/telegram.md for setting either up.

    Polling is our own getUpdates loop rather than PTB's updater, which confirms every fetched update on its
    next poll whatever became of it. Telegram keeps an update until getUpdates asks for a later offset, so the
    offset moves past an update only once the engine has taken its turn (or the update needed nothing). When
    the engine can't store a turn (TurnFailed: the database is unavailable), that update and the ones behind it
    stay unconfirmed and are fetched again after a backoff (`backoff`: a delay doubling up to a maximum),
    so order holds and a stop or a crash loses nothing; a turn that committed just before a crash comes again
    and the engine recognises it by its receipt. Only a turn that fails for another reason (a fault with that
    one message, not the database) is skipped, after `backoff.give_up_after` seconds and logged, so it can't stall
    every chat for good.

    Webhook mode serves our own route (not PTB's webhook server, which answers 200 before any handler runs):
    the secret token is compared first and a body over 1 MB refused before it is read, then the update is
    handed to the engine and answered 200 only once its turn has committed. A turn that couldn't be stored is
    answered 503, so Telegram delivers it again (a redelivery of a stored turn is recognised by its receipt);
    one that keeps failing for another reason is given up after `backoff.give_up_after` seconds like a polled
    one. Telegram is asked for one connection at a time (`max_connections=1`), so each chat's order holds, and
    a crash anywhere before the 200 loses nothing: Telegram still has the update.
    """

    name = TRANSPORT
    # About 30 messages a second overall and 1 a second per chat (short bursts allowed); the outbox paces by
    # this, and PTB's AIORateLimiter (same overall cap) stays as a backstop for the calls the outbox doesn't make.
    # Flood control answers for the whole bot, so a "retry after" pauses every chat.
    limits = RateLimits(per_second_overall=30, per_chat_interval=1.0, per_chat_burst=3, retry_after_holds_all=True)

    def __init__(
        self,
        config: TelegramConfig,
        *,
        poll_timeout: float = 10.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        words: EngineWording | None = None,
    ) -> None:
        check_config(config)
        self.config = config
        self.words = words or EngineWording.load()
        self.poll_timeout = poll_timeout
        self.backoff = backoff
        self._sleep = sleep
        self.application = (
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.base_url)
            .base_file_url(config.base_file_url)
            .rate_limiter(AIORateLimiter(max_retries=0))
            .job_queue(None)
            .build()
        )
        self._handler: InboundHandler | None = None
        self._initialized = False
        self._init_lock = asyncio.Lock()
        # polling
        self._poller: asyncio.Task[None] | None = None
        self._offset: int | None = None  # the first update_id not yet handled; None: whatever Telegram still holds
        self._stopping = False
        self._busy = False  # handing an update over: stop() lets that finish rather than cancel it
        self._failing: tuple[int, float] | None = None  # an update whose turn failed, and since when
        self._answered: deque[str] = deque(maxlen=100)  # button presses answered (a failed turn's comes again)
        self._polled = False  # the last getUpdates got an answer from Telegram
        # webhook mode
        self._runner: web.AppRunner | None = None
        self._webhook_lock = asyncio.Lock()  # one update at a time, in the order they came
    # lifecycle

    async def start(self, handler: InboundHandler) -> None:
        """Set up receiving and return; a failure part-way undoes what was started."""
        self._handler = first_start(self._handler, handler, platform="Telegram")
        try:
            try:
                await self._initialize()
            except InvalidToken:
                raise TelegramSetupError(TOKEN_REJECTED) from None  # PTB's message quotes the token
            await self._register_commands()
            self._check_username()
            if self.config.mode == "webhook":
                await self._serve_webhook()
                await self.application.bot.set_webhook(
                    url=self.config.webhook_url, secret_token=self.config.secret_token, max_connections=1,
                    allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=False)
            else:
                # Telegram refuses getUpdates while a webhook is set; removing it keeps the pending updates.
                await self.application.bot.delete_webhook(drop_pending_updates=False)
                self._offset, self._stopping, self._polled = None, False, True
                self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
        except BaseException:
            await self.stop()
            raise
        log.info("telegram: receiving by %s as @%s", self.config.mode, self.application.bot.username)

    async def stop(self) -> None:
        """Stop receiving and close. Polling: an update being handed over finishes, and Telegram is told which
        updates were handled. Webhook: the server closes (a turn under way finishes first); the webhook stays
        set, so Telegram keeps what comes meanwhile for the next start."""
        app = self.application
        await self._stop_polling()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await app.shutdown()
        self._initialized = False
        self._handler = None

    async def _initialize(self) -> None:
        async with self._init_lock:
            if not self._initialized:
                await self.application.initialize()
                self._initialized = True

    async def _register_commands(self) -> None:
        """The command menu is a convenience: typed commands work without it, so a failure only warns."""
        try:
            menu = self.words.commands  # the same table the help text lists
            await self.application.bot.set_my_commands([BotCommand(c.word, c.what[:1].upper() + c.what[1:])
                                                        for c in menu])
        except Exception as exc:
            log.warning("telegram: couldn't set the command menu (%s: %s); typed commands still work",
                        type(exc).__name__, exc)

    def _check_username(self) -> None:
        expected = self.config.bot_username.removeprefix("@")
        actual = self.application.bot.username
        if expected and expected.lower() != actual.lower():
            log.warning("telegram: the token belongs to @%s but bot_username is %r, so invite links are wrong",
                        actual, expected)

    # receiving by polling

    async def _poll(self) -> None:
        """Fetch updates and hand them over in order until stop(); see the class docstring."""
        bot = self.application.bot
        delay = self.backoff.retry_delay
        while not self._stopping:
            try:
                updates = await bot.get_updates(offset=self._offset, timeout=timedelta(seconds=self.poll_timeout),
                                                allowed_updates=list(ALLOWED_UPDATES))
            except TimedOut:
                continue  # the long poll outlasted the read timeout: simply ask again
            except RetryAfter as exc:
                await self._sleep(retry_after_seconds(exc))
                continue
            except InvalidToken:
                log.error("telegram: %s; retrying in %gs", TOKEN_REJECTED, delay)
                updates = None
            except TelegramError as exc:  # a network error, or Conflict: another poller or a webhook
                log.warning("telegram: getUpdates failed (%s: %s); retrying in %gs", type(exc).__name__,
                            exc.message.replace(self.config.token, "<token>"), delay)
                updates = None
            except Exception as exc:  # PTB couldn't read an update; its data isn't logged (it may hold words)
                log.error("telegram: couldn't read updates (%s); retrying in %gs", type(exc).__name__, delay)
                updates = None
            self._polled = updates is not None
            if updates is None or not await self._take(updates):
                await self._sleep(delay)
                delay = self.backoff.after_failure(delay)
                continue
            delay = self.backoff.retry_delay
            if self.config.poll_interval > 0 and not self._stopping:
                await self._sleep(self.config.poll_interval)

    async def _take(self, updates: Sequence[Update]) -> bool:
        """Hand updates to the engine in order, confirming each handled one; False when one must come again."""
        handler = self._handler
        assert handler is not None
        for update in updates:
            if self._stopping:
                break
            self._busy = True
            try:
                await self._receive(update, handler)
            except TurnFailed as exc:
                if not self._give_up(update.update_id, exc):
                    return False
            except Exception:
                log.exception("telegram: update %s failed and is skipped", update.update_id)
            finally:
                self._busy = False
            self._offset = update.update_id + 1  # Telegram forgets it at the next getUpdates
        return True

    def _give_up(self, update_id: int, exc: TurnFailed) -> bool:
        """Whether to move past an update whose turn failed: never while the database is unavailable."""
        if exc.retryable:
            log.error("telegram: update %s could not be stored (database unavailable); will try again", update_id)
            return False
        now = time.monotonic()
        if self._failing is None or self._failing[0] != update_id:
            self._failing = (update_id, now)
        if now - self._failing[1] < self.backoff.give_up_after:
            log.error("telegram: update %s could not be stored; will try again", update_id)
            return False
        log.error("telegram: gave up on update %s; it could not be stored", update_id)
        return True

    async def _stop_polling(self) -> None:
        poller, self._poller = self._poller, None
        if poller is None:
            return
        self._stopping = True
        if not self._busy:
            poller.cancel()  # it is waiting on Telegram or backing off: nothing is half done
        await asyncio.wait([poller])
        if not poller.cancelled() and poller.exception() is not None:
            log.error("telegram: polling had stopped on an error", exc_info=poller.exception())
        if self._offset is None:
            return
        try:  # confirm the handled updates, so the next start doesn't fetch them again
            await self.application.bot.get_updates(offset=self._offset, limit=1, timeout=0,
                                                   allowed_updates=list(ALLOWED_UPDATES))
        except TelegramError as exc:
            log.warning("telegram: couldn't confirm the handled updates (%s); they will come again at the next "
                        "start and be recognised", type(exc).__name__)

    # receiving, either way

    async def _receive(self, update: Update, hand_over: InboundHandler) -> None:
        """One update: stop a pressed button's spinner, hand the message over, show the choice made."""
        query = update.callback_query
        if query is not None and query.id not in self._answered:
            await self._answer(query)
            self._answered.append(query.id)
        msg = inbound_from(update)
        if msg is None:
            return
        await hand_over(msg)
        if query is not None:
            await self._show_choice(query)

    # receiving by webhook

    async def _serve_webhook(self) -> None:
        self._runner = await serve(self.config.webhook_path, self._webhook_request, listen=self.config.listen,
                                   port=self.config.port, max_body=MAX_WEBHOOK_BODY)
        log.info("telegram: serving the webhook on http://%s:%s%s", self.config.listen, self.port,
                 self.config.webhook_path)

    def receiving(self) -> bool:
        if self.config.mode == "webhook":
            return self._runner is not None
        return self._poller is not None and not self._poller.done() and self._polled

    @property
    def port(self) -> int:
        """The bound webhook port (useful when the config asks for port 0)."""
        return bound_port(self._runner, self.config.port)

    async def _webhook_request(self, request: web.Request) -> web.Response:
        """One update from Telegram: 200 only once its turn is stored; see the class docstring."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self.config.secret_token.encode("ascii")):
            return web.Response(status=403, text="wrong secret token")
        if request.content_length is not None and request.content_length > MAX_WEBHOOK_BODY:
            return web.Response(status=413, text="too large")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="too large")
        except Exception as exc:  # not JSON, or not an update; never quoted (it may hold someone's words)
            log.warning("telegram: a webhook body could not be read (%s)", type(exc).__name__)
            update = None
        if update is None:
            return web.Response(status=400, text="not an update")
        handler = self._handler
        if handler is None:
            return web.Response(status=503, text="stopping")
        async with self._webhook_lock:
            try:
                await self._receive(update, handler)
            except TurnFailed as exc:
                if not self._give_up(update.update_id, exc):
                    return web.Response(status=503, text="not stored; send it again")
            except Exception:
                log.exception("telegram: update %s failed and is skipped", update.update_id)
        return web.Response(status=200)

    async def _answer(self, query: CallbackQuery) -> None:
        """Stop the button's spinner."""
        try:
            await query.answer()
        except TelegramError as exc:
            log.warning("telegram: couldn't answer a button press: %s", exc.message)

    async def _show_choice(self, query: CallbackQuery) -> None:
        """Show the choice under the question and remove its buttons, so they can't be pressed twice."""
        message = query.message
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        label = next((button.text for row in message.reply_markup.inline_keyboard for button in row
                      if button.callback_data == query.data), None)
        bot = self.application.bot
        chat_id, message_id = message.chat.id, message.message_id
        try:
            if label is not None and message.text is not None and len(message.text) + len(label) + 3 <= MAX_TEXT:
                # Sent without reply_markup, the edit removes the buttons.
                await bot.edit_message_text(f"{message.text}\n\n→ {label}", chat_id=chat_id, message_id=message_id)
            elif label is not None and message.caption is not None and (
                    len(message.caption) + len(label) + 3 <= MAX_CAPTION):
                await bot.edit_message_caption(caption=f"{message.caption}\n\n→ {label}", chat_id=chat_id,
                                               message_id=message_id)
            else:
                await bot.edit_message_reply_markup(reply_markup=None, chat_id=chat_id, message_id=message_id)
        except TelegramError as exc:
            log.warning("telegram: couldn't mark the chosen button on message %s: %s", message.message_id,
                        exc.message)

    # sending

    async def send(self, message: Outbound) -> str | None:
        """One reply as Bot API calls; returns the id of the last message sent (the one with the buttons)."""
        markup = keyboard(message.reply.buttons)
        try:
            chat_id = int(message.key.chat)
        except ValueError:
            raise DeliveryError("not a Telegram chat id", permanent=True) from None
        try:
            await self._initialize()
            sent = await self._send_reply(chat_id, message.reply, markup)
        except TelegramError as exc:
            raise delivery_error(exc) from exc
        return str(sent.message_id)

    async def _send_reply(self, chat_id: int, reply: Reply, markup: InlineKeyboardMarkup | None) -> Message:
        attachment = reply.attachment
        text = telegram_html(reply.text) if reply.markdown else reply.text
        mode = ParseMode.HTML if reply.markdown else None
        if attachment is None:
            return await self._send_text(chat_id, text, markup, mode=mode, preview=reply.link_preview)
        caption: str | None = text
        if len(text) > MAX_CAPTION or (attachment.alt_text and is_photo(attachment)):
            await self._send_text(chat_id, text, None, mode=mode)
            caption = None
        file = InputFile(attachment.data, filename=attachment.filename)
        bot = self.application.bot
        if is_photo(attachment):
            if attachment.alt_text:  # Telegram has no alt text: what the image shows is its caption, as plain text
                return await bot.send_photo(chat_id, photo=file, caption=attachment.alt_text[:MAX_CAPTION],
                                            reply_markup=markup)
            return await bot.send_photo(chat_id, photo=file, caption=caption or None, reply_markup=markup,
                                        parse_mode=mode if caption else None)
        return await bot.send_document(chat_id, document=file, caption=caption or None, reply_markup=markup,
                                       parse_mode=mode if caption else None)

    async def _send_text(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, *, mode: str | None = None,
        preview: bool = True,
    ) -> Message:
        chunks = split_text(text)
        sent: Message | None = None
        options = None if preview else LinkPreviewOptions(is_disabled=True)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent = await self.application.bot.send_message(chat_id, chunk, reply_markup=markup if last else None,
                                                           parse_mode=mode, link_preview_options=options)
        assert sent is not None
        return sent


def check_config(config: TelegramConfig) -> None:
    """Refuse a config that can't work, at construction, so `coachbot run` stops with a clear line."""
    if not config.token:
        raise TelegramSetupError("telegram.token is empty: set it, or COACHBOT_TELEGRAM_TOKEN, to BotFather's token")
    if config.mode != "webhook":
        return
    if not config.webhook_url:
        raise TelegramSetupError("telegram.webhook_url is required in webhook mode (the public https address)")
    if not _SECRET_TOKEN.match(config.secret_token):
        raise TelegramSetupError("telegram.secret_token is required in webhook mode: 1-256 of A-Z, a-z, 0-9, _ and -, "
                         "or set COACHBOT_TELEGRAM_SECRET_TOKEN")


def inbound_from(update: Update) -> InboundMessage | None:
    """The engine's view of one update, or None for what the bot takes no part in."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    if chat.type != ChatType.PRIVATE:
        log.info("telegram: ignored an update from a %s chat", chat.type)
        return None
    key = ConversationKey(transport=TRANSPORT, user=str(user.id), chat=str(chat.id))
    name = user.first_name or None
    query = update.callback_query
    if query is not None:
        if not query.data:
            return None
        return InboundMessage(key=key, message_id=f"cb:{query.id}", payload=query.data,
                              received_at=datetime.now(UTC), display_name=name)
    edited = update.edited_message
    if edited is not None:
        stamp = int(edited.edit_date.timestamp()) if edited.edit_date else update.update_id
        # The edited words still go to the safety screen; the engine doesn't take them as an answer.
        return InboundMessage(key=key, message_id=f"e:{chat.id}:{edited.message_id}:{stamp}", unsupported="edited",
                              text=edited.text or edited.caption, received_at=_utc(edited.edit_date or edited.date),
                              display_name=name)
    message = update.message
    if message is None:
        return None
    message_id = f"m:{chat.id}:{message.message_id}"
    if message.text is not None:
        return InboundMessage(key=key, message_id=message_id, text=message.text, received_at=_utc(message.date),
                              display_name=name)
    kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), None)
    if kind is None:
        return None  # a service message (a pin, a new chat photo) needs no answer
    return InboundMessage(key=key, message_id=message_id, unsupported=kind, text=message.caption,
                          received_at=_utc(message.date), display_name=name)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard: short labels (Yes/No, 1-10) share rows of five, longer ones get a row each.

    Telegram carries at most 64 bytes of callback data; a longer payload fails loudly, since a truncated
    one would come back as a different answer.
    """
    if not buttons:
        return None
    for button in buttons:
        size = len(button.payload.encode("utf-8"))
        if not 1 <= size <= MAX_PAYLOAD_BYTES:
            raise DeliveryError(f"a button payload is {size} bytes; Telegram allows 1 to {MAX_PAYLOAD_BYTES}",
                                permanent=True)
    if all(len(b.label) <= 3 for b in buttons):
        per_row = 5
    elif len(buttons) <= 3 and sum(len(b.label) for b in buttons) <= 30:
        per_row = len(buttons)
    else:
        per_row = 1
    keys = [InlineKeyboardButton(b.label, callback_data=b.payload) for b in buttons]
    return InlineKeyboardMarkup([keys[i:i + per_row] for i in range(0, len(keys), per_row)])


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Telegram refuses longer texts; split at a paragraph, line or word break in the second half if there is one."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = limit
        for separator in ("\n\n", "\n", " "):
            found = rest.rfind(separator, 0, limit)
            if found >= limit // 2:
                cut = found
                break
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return chunks


def is_photo(attachment: Attachment) -> bool:
    """Telegram shows raster images inline; anything else (an SVG, a PDF) goes as a document."""
    return attachment.media_type.startswith("image/") and attachment.media_type != "image/svg+xml"


def delivery_error(exc: TelegramError) -> DeliveryError:
    """The outbox's view of a Bot API failure: wait as told, give up, stop writing to this person, or retry."""
    if isinstance(exc, InvalidToken):  # PTB's message may quote the token; the reason is stored and logged
        return DeliveryError(TOKEN_REJECTED)
    reason = f"Telegram: {exc.message}"
    if isinstance(exc, RetryAfter):
        return DeliveryError(reason, retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):  # blocked by the user, deactivated, or never started the bot
        return DeliveryError(reason, unreachable=True)
    if isinstance(exc, BadRequest | ChatMigrated):  # "chat not found" and the like: the same call fails again
        return DeliveryError(reason, permanent=True)
    return DeliveryError(reason)  # TimedOut, NetworkError and the like: worth another try later


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # int today, timedelta in PTB 23
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
