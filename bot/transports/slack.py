"""The Slack transport: direct messages with a Slack app, through slack-bolt's AsyncApp.

Both modes share one AsyncApp and the same listeners; only the way requests arrive differs. In HTTP mode an
aiohttp server on `listen:port` serves `path` for both the Events API and interactivity; the signature and
timestamp of every request are checked before its body is read (anything else gets 401), and a signed request
that can't be read (not UTF-8, not JSON, fields of the wrong shape) gets 400. Socket Mode hands the same
requests to the same app over a websocket. It can't be tested against the real Slack here, so its own code is
kept to the few lines in `start` and `stop`; the tests drive the shared listeners over HTTP, plus a fake
websocket peer.

Acknowledging: Bolt runs with process_before_response, so Slack gets its answer when the listener returns.
A listener waits for the engine's turn (milliseconds) for up to `ack_within` seconds. If the engine raises
TurnFailed (nothing was stored), the listener raises too, Bolt answers 500 (in Socket Mode: no ack), and Slack
redelivers the event. A turn still running after `ack_within` is acknowledged and finishes in the background,
so Slack's 3-second limit is always met.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, TypeGuard

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import COMMANDS
from bot.config import ConfigError, SlackConfig
from bot.markup import slack_mrkdwn
from bot.ratelimit import RateLimits
from bot.transports.base import DeliveryError, InboundHandler, first_start
from bot.transports.http import bound_port, serve
from bot.types import Attachment, Button, ConversationKey, InboundMessage, Outbound, Reply
from bot.wording import EngineWording

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

ACK_WITHIN = 2.0  # seconds; Slack wants an answer within 3
NAME_LOOKUP_WITHIN = 1.0  # seconds; users.info is a nicety, never worth missing the ack for
STOP_WITHIN = 10.0  # seconds; at shutdown, turns already acknowledged get this long to finish
REMEMBERED_EVENTS = 5000
ACTION_ID = re.compile(r"^choice-\d+$")

# Slack error codes meaning this person can't be reached there (deactivated, gone, or the DM is).
UNREACHABLE_ERRORS = frozenset(
    {"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot", "channel_not_found", "is_archived"}
)
# Errors in the request itself: sending it again can't help.
PERMANENT_ERRORS = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "invalid_arguments", "invalid_arg_name", "invalid_charset",
     "msg_too_long", "no_text", "too_many_attachments", "too_many_users", "invalid_form_data",
     "invalid_post_type", "invalid_json", "json_not_object", "file_uploads_disabled"}
)
# The bot token or the app's scopes are wrong: the operator has to act, and rows wait (retrying) until then.
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope", "not_allowed_token_type"}
)
SECTION_LIMIT = 3000  # characters of text in one section block
ALT_TEXT_LIMIT = 1000  # characters of a file's alt text (files.getUploadURLExternal: alt_txt_too_large)
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MAX_BUTTONS = 25  # elements in one actions block


def escape(text: str) -> str:
    """Slack reads &, < and > as markup in message text, so plain text must escape them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack sends &, < and > escaped; the engine should read what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_SLASH_COMMAND = re.compile(
    r"(?<![\w/])/(" + "|".join(sorted((c.word for c in COMMANDS if c.bare), key=len, reverse=True)) + r")\b")


def bare_commands(text: str) -> str:
    """On Slack "/help" would go to Slack's own slash commands, so the wording says just "help"."""
    return _SLASH_COMMAND.sub(r"\1", text)


def looks_like_user(chat: str) -> bool:
    """A pre-registered person is addressed by user id (U… or W…) until a DM channel (D…) is known."""
    return chat[:1] in ("U", "W")


def reply_blocks(reply: Reply) -> list[JsonDict]:
    """The question as plain-text sections, then one actions block with a button per choice."""
    text = reply.text or " "
    blocks: list[JsonDict] = [
        {"type": "section", "text": {"type": "plain_text", "text": text[i:i + SECTION_LIMIT], "emoji": True}}
        for i in range(0, len(text), SECTION_LIMIT)
    ]
    blocks.append({"type": "actions", "block_id": "choices", "elements": [
        _button(n, button) for n, button in enumerate(reply.buttons[:MAX_BUTTONS], start=1)
    ]})
    return blocks


def _button(n: int, button: Button) -> JsonDict:
    return {
        "type": "button",
        "action_id": f"choice-{n}",
        "text": {"type": "plain_text", "text": button.label[:BUTTON_LABEL_LIMIT] or str(n), "emoji": True},
        "value": button.payload[:BUTTON_VALUE_LIMIT],
    }


def delivery_error(exc: Exception, *, method: str) -> DeliveryError:
    """Map a Slack Web API failure to what the outbox should do about it."""
    if not isinstance(exc, SlackApiError):
        return DeliveryError(f"slack {method}: {type(exc).__name__}")
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    code = str(data.get("error") or "") if isinstance(data, dict) else ""
    reason = f"slack {method}: {code or 'http ' + str(status)}"
    if status == 429 or code == "ratelimited":
        return DeliveryError(reason, retry_after=_retry_after(response))
    if code in UNREACHABLE_ERRORS:
        return DeliveryError(reason, unreachable=True)
    if code in PERMANENT_ERRORS:
        return DeliveryError(reason, permanent=True)
    if code in AUTH_ERRORS:
        log.error("slack %s refused the bot token (%s): check the token and the app's scopes", method, code)
    return DeliveryError(reason)


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            first = value[0] if isinstance(value, list | tuple) else value
            try:
                return float(first)
            except (TypeError, ValueError):
                return None
    return None


# What Bolt and the listeners raise on a body of the wrong shape; a failed turn is _NotTaken, never one of these.
UNREADABLE = (AttributeError, TypeError, KeyError, IndexError, ValueError)


class _NotTaken(Exception):
    """The engine didn't take a turn (its exception is the cause): Bolt answers 500 and Slack delivers it again."""


def _object(value: Any) -> JsonDict:
    """A field Slack sends as an object, or an empty one when a request has something else there."""
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> TypeGuard[str]:
    """Whether a field holds an id: a non-empty string."""
    return isinstance(value, str) and value != ""


def _failed(task: asyncio.Task[None]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


class SlackTransport:
    """Coachees and coaches talk to the bot in DMs with the Slack app; see docs/slack.md to set the app up."""

    name = "slack"
    # chat.postMessage: about 1 per second per channel, short bursts allowed; the outbox paces by this.
    limits = RateLimits(per_chat_interval=1.0, per_chat_burst=3)

    def __init__(
        self, config: SlackConfig, *, ack_within: float = ACK_WITHIN, rate_limit_retries: int = 1,
        words: EngineWording | None = None,
    ) -> None:
        if not config.bot_token:
            raise ConfigError("config error: slack.bot_token: needed to use Slack (env COACHBOT_SLACK_BOT_TOKEN)")
        if config.mode == "http" and not config.signing_secret:
            raise ConfigError("config error: slack.signing_secret: needed in http mode "
                              "(env COACHBOT_SLACK_SIGNING_SECRET)")
        if config.mode == "socket" and not config.app_token:
            raise ConfigError("config error: slack.app_token: needed in socket mode (env COACHBOT_SLACK_APP_TOKEN)")
        self.config = config
        self.words = words or EngineWording.load()
        self.ack_within = ack_within
        self.client = AsyncWebClient(token=config.bot_token, base_url=config.api_base_url)
        # Waits out a 429's Retry-After inside the client; a 429 that still surfaces goes back to the outbox.
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries))
        self.app = AsyncApp(
            client=self.client,
            signing_secret=config.signing_secret,
            process_before_response=True,
            request_verification_enabled=config.mode == "http",
            logger=logging.getLogger(f"{__name__}.bolt"),
        )
        # Bolt fills listener parameters by name, and only sees positional ones, so these can't be keyword-only.
        self.app.event("message")(self._on_message)
        self.app.action(ACTION_ID)(self._on_button)
        self.app.error(self._on_error)
        self._handler: InboundHandler | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._late: set[asyncio.Task[None]] = set()
        self._events: OrderedDict[str, asyncio.Task[None]] = OrderedDict()
        self._dm_channels: dict[str, str] = {}
        self._names: dict[str, str | None] = {}

    # lifecycle

    async def start(self, handler: InboundHandler) -> None:
        """Set up receiving and return: the HTTP server is listening, or the websocket is connected."""
        self._handler = first_start(self._handler, handler, platform="Slack")
        try:
            if self.config.mode == "http":
                await self._serve()
            else:
                self._socket = AsyncSocketModeHandler(self.app, self.config.app_token)
                await self._socket.connect_async()  # type: ignore[no-untyped-call]
                log.info("slack: connected in socket mode")
        except BaseException:
            await self.stop()
            raise

    async def _serve(self) -> None:
        self._runner = await serve(self.config.path, self._http_request, listen=self.config.listen,
                                   port=self.config.port)
        log.info("slack: listening for events on http://%s:%s%s", self.config.listen, self.port, self.config.path)

    async def stop(self) -> None:
        """Stop receiving first, then give running turns a moment to finish."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_WITHIN)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._handler = None

    def receiving(self) -> bool:
        return self._runner is not None or self._socket is not None

    @property
    def port(self) -> int:
        """The bound HTTP port (useful when the config asks for port 0)."""
        return bound_port(self._runner, self.config.port)

    async def _http_request(self, request: web.Request) -> web.Response:
        """Bolt parses a body before it checks the signature, and answers 500 to one it can't read; so the
        signature is checked here first (401), and a signed body Bolt can't read as JSON or a form is a 400."""
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="the body is not UTF-8")
        headers: dict[str, str | Sequence[str]] = {name: request.headers.getall(name) for name in request.headers}
        try:
            signed = SignatureVerifier(self.config.signing_secret).is_valid(
                body=body, timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                signature=request.headers.get("X-Slack-Signature"))
        except ValueError:  # a timestamp that isn't a number
            signed = False
        if not signed:
            return web.Response(status=401, text="invalid request")
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception as exc:  # parsing only: not JSON, or a payload= that isn't
            log.warning("slack request refused: its body could not be read (%s)", type(exc).__name__)
            return web.Response(status=400, text="the body could not be read")
        try:
            response = await self.app.async_dispatch(bolt_request)
        except UNREADABLE as exc:  # Bolt couldn't even build its error handler's arguments from this body
            log.warning("slack request refused: it could not be read (%s)", type(exc).__name__)
            return web.Response(status=400, text="the body could not be read")
        return await to_aiohttp_response(response)

    # receiving

    async def _on_message(self, body: JsonDict, event: JsonDict, context: AsyncBoltContext) -> None:
        msg = self._message_from(event, bot_user_id=context.bot_user_id)
        if msg is None:
            return
        event_id = str(body.get("event_id") or msg.message_id)
        previous = self._events.get(event_id)
        if previous is not None:
            # Slack redelivers when it thinks we were too slow; wait for the first delivery instead.
            if not previous.done():
                await asyncio.wait({previous}, timeout=self.ack_within)
            if not _failed(previous):
                log.info("slack event %s delivered again; already handled", event_id)
                return
        task = self._spawn(self._deliver(msg))
        self._events[event_id] = task
        self._events.move_to_end(event_id)
        while len(self._events) > REMEMBERED_EVENTS:
            self._events.popitem(last=False)
        await self._within_ack(task)

    def _message_from(self, event: JsonDict, *, bot_user_id: str | None) -> InboundMessage | None:
        """The engine's view of a DM event, or None for what the bot ignores (bots, channels, deletions, and
        an event missing the ids it needs or carrying fields of the wrong type, which Slack never sends)."""
        if event.get("channel_type") != "im":
            return None
        subtype = event.get("subtype")
        unsupported: str | None = None
        source = event
        if subtype == "message_changed":
            source = _object(event.get("message"))
            if not source.get("edited"):
                return None  # link previews and other changes Slack makes, not the person
            unsupported = "edited"
        elif subtype == "file_share" or event.get("files"):
            unsupported = "file"
        elif subtype not in (None, "thread_broadcast", "me_message"):
            return None
        user, channel, ts, text = source.get("user"), event.get("channel"), event.get("ts"), source.get("text")
        if not (_id(user) and _id(channel) and _id(ts)) or not isinstance(text, str | None):
            return None
        if user == bot_user_id or source.get("bot_id") or event.get("bot_id") or source.get("subtype") == "bot_message":
            return None
        text = unescape(text or "")
        if unsupported is None and not text.strip():
            return None
        return InboundMessage(
            key=ConversationKey(transport=self.name, user=user, chat=channel),
            message_id=f"{channel}:{ts}",
            text=text if text.strip() else None,  # an edit's or a file's words are still screened
            received_at=datetime.now(UTC),
            unsupported=unsupported,
        )

    async def _on_button(self, ack: AsyncAck, body: JsonDict) -> None:
        """A press: the engine gets the button's payload, then the question loses its buttons. A press missing
        the ids it needs (or with fields of the wrong type, which Slack never sends) is acknowledged and ignored."""
        actions, user = body.get("actions"), _object(body.get("user")).get("id")
        action = _object(actions[0]) if isinstance(actions, list) and actions else {}
        container, message = _object(body.get("container")), _object(body.get("message"))
        channel = _object(body.get("channel")).get("id") or container.get("channel_id")
        message_ts = container.get("message_ts") or message.get("ts") or ""
        value = action.get("value")
        if not (_id(user) and _id(channel) and isinstance(message_ts, str) and isinstance(value, str | None)):
            log.info("slack: a button press without the ids it needs was ignored")
            await ack()
            return
        msg = InboundMessage(
            key=ConversationKey(transport=self.name, user=user, chat=channel),
            message_id=f"act:{message_ts}:{action.get('action_ts')}",
            payload=value or "",
            received_at=datetime.now(UTC),
        )
        await self._within_ack(self._spawn(self._deliver(msg)))
        await ack()
        label = str(_object(action.get("text")).get("text") or "")
        self._spawn(self._show_choice(channel, message_ts, message=message, label=label))

    async def _on_error(self, error: Exception, body: JsonDict) -> BoltResponse | None:
        """Bolt's own handler logs the exception text, which may quote a message; this logs the kind only.

        A turn the engine didn't take keeps Bolt's 500, so Slack delivers it again. A request Bolt or the
        listeners couldn't read (a field of the wrong shape, which Slack never sends) is a 400: sending it again
        can't help."""
        kind = body.get("type") if isinstance(body, dict) else "unknown"
        log.debug("slack listener error", exc_info=error)
        if isinstance(error, UNREADABLE):
            log.warning("slack %s request refused: it could not be read (%s)", kind, type(error).__name__)
            return BoltResponse(status=400, body="")
        cause = error.__cause__ if isinstance(error, _NotTaken) else error
        log.warning("slack %s request not acknowledged (%s); Slack may deliver it again", kind, type(cause).__name__)
        return None

    async def _deliver(self, msg: InboundMessage) -> None:
        handler = self._handler
        if handler is None:
            raise RuntimeError("the Slack transport is not started")
        if msg.text is not None:
            msg = msg.model_copy(update={"display_name": await self._display_name(msg.key.user)})
        await handler(msg)

    async def _within_ack(self, task: asyncio.Task[None]) -> None:
        """Wait for the turn while Slack still waits for us; re-raise its failure so Slack redelivers."""
        done, _ = await asyncio.wait({task}, timeout=self.ack_within)
        if task in done:
            try:
                task.result()
            except Exception as exc:
                raise _NotTaken(type(exc).__name__) from exc
            return
        self._late.add(task)
        log.warning("slack turn still running after %.1f s; acknowledged, finishing in the background",
                    self.ack_within)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        late = task in self._late
        self._late.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and late:
            log.error("slack turn failed after it was acknowledged, so Slack won't redeliver it: %s",
                      type(error).__name__)

    async def _display_name(self, user: str) -> str | None:
        """The person's Slack name, used when they join; looked up once per user, and skipped if slow."""
        if user in self._names:
            return self._names[user]
        try:
            response = await asyncio.wait_for(self.client.users_info(user=user), timeout=NAME_LOOKUP_WITHIN)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("slack users.info for %s failed (%s); going without a name", user, type(exc).__name__)
            return None
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("real_name") or info.get("real_name") or profile.get("display_name") or None
        self._names[user] = str(name) if name else None
        return self._names[user]

    async def _show_choice(self, channel: str, ts: str, *, message: JsonDict, label: str) -> None:
        """Replace the buttons with the choice made, so the same question can't be answered twice."""
        shown = message.get("blocks")
        blocks = [b for b in shown if isinstance(b, dict) and b.get("type") != "actions"] if isinstance(
            shown, list) else []
        text = str(message.get("text") or "")
        if not blocks and text:
            blocks = [{"type": "section", "text": {"type": "plain_text", "text": unescape(text)[:SECTION_LIMIT]}}]
        shown = self.words.choice_shown.format(label=label)[:SECTION_LIMIT]
        blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": shown, "emoji": True}]})
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text or escape(label), blocks=blocks)
        except Exception as exc:  # the buttons stay; a second press still reaches the engine, which knows it's stale
            log.warning("slack chat.update of question %s failed: %s", ts,
                        delivery_error(exc, method="chat.update").reason)

    # sending

    async def send(self, message: Outbound) -> str | None:
        """Post one reply; returns the message ts (or the file id when the reply is a file with a comment)."""
        reply = message.reply
        reply = reply.model_copy(update={"text": bare_commands(reply.text)})
        method = "conversations.open"
        try:
            channel = await self._channel_for(message.key.chat)
            if reply.attachment is not None:
                method = "files_upload_v2"
                comment = None if reply.buttons else escape(reply.text)
                if comment and reply.markdown:
                    comment = slack_mrkdwn(comment)
                file_id = await self._upload(channel, reply.attachment, comment=comment)
                if not reply.buttons:
                    return file_id
            method = "chat.postMessage"
            unfurl = None if reply.link_preview else False  # None: Slack's own default
            if reply.buttons:
                response = await self.client.chat_postMessage(
                    channel=channel, text=escape(reply.text), blocks=reply_blocks(reply), unfurl_links=unfurl,
                    unfurl_media=unfurl)
            elif reply.markdown:
                response = await self.client.chat_postMessage(channel=channel, text=slack_mrkdwn(escape(reply.text)),
                                                              mrkdwn=True, unfurl_links=unfurl, unfurl_media=unfurl)
            else:
                response = await self.client.chat_postMessage(channel=channel, text=escape(reply.text), mrkdwn=False,
                                                              unfurl_links=unfurl, unfurl_media=unfurl)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            raise delivery_error(exc, method=method) from exc
        return str(response["ts"])

    async def _channel_for(self, chat: str) -> str:
        """A DM channel id as is; a user id (pre-registered, never written yet) gets its DM opened once."""
        if not looks_like_user(chat):
            return chat
        if chat not in self._dm_channels:
            response = await self.client.conversations_open(users=chat)
            self._dm_channels[chat] = str(response["channel"]["id"])
        return self._dm_channels[chat]

    async def _upload(self, channel: str, attachment: Attachment, *, comment: str | None) -> str | None:
        """The file, with its alt text for a screen reader, and the reply's text (escaped already) as its comment."""
        alt = attachment.alt_text[:ALT_TEXT_LIMIT] if attachment.alt_text else None
        response = await self.client.files_upload_v2(
            channel=channel, file=attachment.data, filename=attachment.filename, title=attachment.filename,
            alt_txt=alt, initial_comment=comment or None,
        )
        file = response.get("file") or {}
        return str(file["id"]) if file.get("id") else None
