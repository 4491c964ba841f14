"""The Slack transport end to end: the real Bolt app served over HTTP on 127.0.0.1, signed requests in,
the real engine on a SQLite file, and replies out through the outbox to the fake Slack Web API."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import Config, ConfigError, SlackConfig
from bot.storage import schema as t
from bot.storage import store
from bot.transports.base import DeliveryError
from bot.transports.slack import SlackTransport, bare_commands, escape
from bot.types import Attachment, Button, ConversationKey, InboundMessage, Outbound, Reply
from bot.wording import EngineWording
from flows.stepper import ProfileChange, RecordedAnswer
from tests.conftest import Harness, MarkerScreener, make_harness

from .helpers.fake_slack import FakeSlack
from .helpers.media import tiny_png
from .helpers.slack_signing import (
    SignedRequest,
    SlackRequestSigner,
    block_actions_payload,
    event_envelope,
    message_im_event,
)

JsonDict = dict[str, Any]

SIGNING_SECRET = "coachbot-test-signing-secret"
BOT_TOKEN = "xoxb-coachbot-test"
STRANGER, STRANGER_DM = "U0NEW", "D0NEW"
SAM, SAM_DM = "U0SAM", "D0SAM"
COACH = "U0COACH"
COACH_DM = "D0JOCOACH"


def slack_config(fake: FakeSlack, **changes: Any) -> SlackConfig:
    settings: JsonDict = {"enabled": True, "mode": "http", "bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET,
                          "api_base_url": fake.base_url, "port": 0}
    return SlackConfig(**{**settings, **changes})


@dataclass
class SlackHarness:
    """The app with its Slack transport listening; `seen` is every message the engine was handed."""

    base: Harness
    transport: SlackTransport
    fake: FakeSlack
    signer: SlackRequestSigner = field(default_factory=lambda: SlackRequestSigner(SIGNING_SECRET))
    seen: list[InboundMessage] = field(default_factory=list)

    @property
    def app(self) -> App:
        return self.base.app

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.transport.port}/slack/events"

    async def post(self, request: SignedRequest) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=request.content, headers=request.headers) as response,
        ):
            return response.status, await response.text()

    async def event(self, event: JsonDict, *, event_id: str | None = None, **options: Any) -> int:
        envelope = {"event_id": event_id} if event_id else None
        status, _ = await self.post(self.signer.event(event, envelope=envelope, **options))
        return status

    async def dm(self, text: str, *, user: str = STRANGER, channel: str = STRANGER_DM, **options: Any) -> int:
        return await self.event(message_im_event(text, user=user, channel=channel), **options)

    async def deliver(self) -> int:
        return await self.app.outbox.deliver_due()

    def posts(self, channel: str) -> list[JsonDict]:
        return [c.args for c in self.fake.successful_calls_to("chat.postMessage") if c.args["channel"] == channel]

    def add_person(self, user: str, *, chat: str | None, coach: bool = False, name: str = "Sam Jones") -> int:
        """A coach (with no other chat) or a coachee of that coach, on Slack; returns their id."""
        with self.app.db.begin() as conn:
            now = self.app.engine.clock()
            if coach:
                person = store.add_coach(conn, name="Jo Coach", at=now)
                store.add_identity(conn, transport="slack", external_id=user, coach_id=person.id, chat_id=chat)
                return person.id
            coach_id = next(c.id for c in store.list_coaches(conn) if c.name == "Jo Coach")
            coachee = store.add_coachee(conn, coach_id=coach_id, name=name, at=now)
            store.add_identity(conn, transport="slack", external_id=user, coachee_id=coachee.id, chat_id=chat)
            return coachee.id


@pytest.fixture
def slack_app_config(config: Config, fake_slack: FakeSlack) -> Config:
    return config.model_copy(update={"slack": slack_config(fake_slack)})


@pytest.fixture
async def slack(
    slack_app_config: Config, screener: MarkerScreener, fake_slack: FakeSlack
) -> AsyncIterator[SlackHarness]:
    base = make_harness(slack_app_config, screener)
    transport = SlackTransport(slack_app_config.slack)
    base.app.add_transport(transport)
    harness = SlackHarness(base=base, transport=transport, fake=fake_slack)

    async def handle(msg: InboundMessage) -> None:
        harness.seen.append(msg)
        await base.app.engine.handle(msg)

    await transport.start(handle)
    try:
        yield harness
    finally:
        await transport.stop()
        base.app.db.dispose()


def outbound(chat: str, reply: Reply, *, user: str | None = None) -> Outbound:
    return Outbound(key=ConversationKey(transport="slack", user=user or chat, chat=chat), reply=reply, outbox_id=1)


# receiving


async def test_url_verification_echoes_the_challenge(slack: SlackHarness) -> None:
    status, body = await slack.post(slack.signer.url_verification("challenge-42"))
    assert status == 200
    assert "challenge-42" in body
    assert slack.seen == []


async def test_a_stranger_gets_the_invite_prompt_in_their_dm(slack: SlackHarness) -> None:
    event = message_im_event("hello?", user=STRANGER, channel=STRANGER_DM)
    assert await slack.event(event) == 200

    [msg] = slack.seen
    assert msg.key == ConversationKey(transport="slack", user=STRANGER, chat=STRANGER_DM)
    assert msg.message_id == f"{STRANGER_DM}:{event['ts']}"
    assert msg.text == "hello?"
    assert await slack.deliver() == 1
    [post] = slack.posts(STRANGER_DM)
    # "A&E" in the wording: Slack needs &, < and > escaped in message text.
    assert post["text"] == escape(slack.app.engine.wording.stranger)
    assert "A&amp;E" in post["text"]
    assert "blocks" not in post


async def test_join_with_an_invite_creates_the_coachee_and_asks_the_first_question_with_buttons(
    slack: SlackHarness,
) -> None:
    slack.fake.users[STRANGER] = {"real_name": "Robin Hart", "profile": {"real_name": "Robin Hart"}}
    with slack.app.db.begin() as conn:
        code = store.create_invite(conn, coach_id=slack.base.coach_id, at=slack.app.engine.clock(),
                                   valid_for=timedelta(days=7))

    assert await slack.dm(f"join {code}") == 200
    assert await slack.deliver() == 1

    with slack.app.db.connect() as conn:
        identity = store.find_identity(conn, transport="slack", external_id=STRANGER)
        assert identity is not None and identity.coachee_id is not None
        assert identity.chat_id == STRANGER_DM
        assert store.get_coachee(conn, identity.coachee_id).name == "Robin Hart"
    [post] = slack.posts(STRANGER_DM)
    assert post["text"].startswith("Hello Robin")
    section, actions = post["blocks"][0], post["blocks"][-1]
    assert section["text"]["type"] == "plain_text" and section["text"]["text"].startswith("Hello Robin")
    assert actions["type"] == "actions"
    assert [(b["action_id"], b["text"]["text"]) for b in actions["elements"]] == [("choice-1", "Yes"),
                                                                                  ("choice-2", "No")]
    assert actions["elements"][0]["value"] == "onboarding:welcome:yes"


async def test_a_button_press_advances_the_flow_and_the_question_loses_its_buttons(slack: SlackHarness) -> None:
    slack.add_person(COACH, chat=None, coach=True)
    slack.add_person(SAM, chat=SAM_DM)
    assert await slack.dm("hi", user=SAM, channel=SAM_DM) == 200
    await slack.deliver()
    [question] = [m for m in slack.fake.messages if m["channel"] == SAM_DM]
    yes = question["blocks"][-1]["elements"][0]
    payload = block_actions_payload(yes["action_id"], value=yes["value"], user_id=SAM, channel_id=SAM_DM,
                                    message_ts=question["ts"], message_text=question["text"], button_text="Yes")
    payload["message"]["blocks"] = question["blocks"]

    status, _ = await slack.post(slack.signer.interactivity(payload))

    assert status == 200
    pressed = slack.seen[-1]
    assert pressed.payload == "onboarding:welcome:yes" and pressed.text is None
    assert pressed.message_id == f"act:{question['ts']}:{payload['actions'][0]['action_ts']}"
    assert pressed.key == ConversationKey(transport="slack", user=SAM, chat=SAM_DM)
    [update] = await slack.fake.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (SAM_DM, question["ts"])
    kinds = [b["type"] for b in update.args["blocks"]]
    assert "actions" not in kinds and kinds[-1] == "context"
    assert update.args["blocks"][-1]["elements"][0]["text"] == "You chose: Yes"
    assert await slack.deliver() == 1
    next_question = slack.posts(SAM_DM)[-1]
    assert "keep your answers" in next_question["text"]
    assert next_question["blocks"][-1]["elements"][0]["value"] == "onboarding:consent_store:yes"


async def test_a_retried_event_is_handled_once(slack: SlackHarness) -> None:
    event = message_im_event("hello", user=STRANGER, channel=STRANGER_DM)
    assert await slack.event(event, event_id="Ev0SAME") == 200
    assert await slack.event(event, event_id="Ev0SAME", retry_num=1, retry_reason="http_timeout") == 200

    assert len(slack.seen) == 1
    assert await slack.deliver() == 1
    assert len(slack.posts(STRANGER_DM)) == 1


async def test_a_turn_that_stores_nothing_gets_a_500_and_slacks_retry_is_handled(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = store.record_receipt
    calls = 0

    def database_down_once(*args: Any, **kwargs: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise sa_exc.OperationalError("INSERT INTO receipts", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "record_receipt", database_down_once)
    event = message_im_event("my private words", user=STRANGER, channel=STRANGER_DM)
    caplog.set_level(logging.INFO)

    assert await slack.event(event, event_id="Ev0DOWN") == 500
    assert await slack.deliver() == 0
    assert await slack.event(event, event_id="Ev0DOWN", retry_num=1, retry_reason="http_error") == 200

    assert await slack.deliver() == 1
    assert len(slack.posts(STRANGER_DM)) == 1
    assert all("private words" not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


def unsigned_post(url: str, *, timeout: float, after: float) -> int:
    time.sleep(after)
    request = urllib.request.Request(url, data=b"{}", headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.sqlite_only
async def test_a_write_lock_held_elsewhere_never_holds_the_event_loop(slack: SlackHarness) -> None:
    """Another process holds SQLite's write lock: a turn waits for it in its thread, while the loop goes on
    answering, so an unsigned request still gets its 401 at once and a signed one is acknowledged in time."""
    path = make_url(slack.app.config.database.url).database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, as a second process holding a transaction open
    try:
        signed = asyncio.ensure_future(slack.dm("hello"))
        while not slack.seen:  # the turn has begun, and waits on the lock
            await asyncio.sleep(0.01)
        # From another thread, a moment later (the turn has reached the lock by then), so its timeout (well
        # under the database's 10 s busy timeout) runs even if the loop were stuck.
        assert await asyncio.to_thread(unsigned_post, slack.url, timeout=3.0, after=0.5) == 401
        assert await asyncio.wait_for(signed, timeout=3) == 200, "acknowledged while the turn still waits"
        with slack.app.db.connect() as conn:
            assert conn.execute(select(t.inbound_receipts)).first() is None, "the lock is still held"
    finally:
        other.execute("ROLLBACK")
        other.close()

    async def replied() -> bool:
        await slack.deliver()
        return bool(slack.posts(STRANGER_DM))

    for _ in range(200):
        if await replied():
            break
        await asyncio.sleep(0.05)
    assert "invite code" in slack.posts(STRANGER_DM)[0]["text"]


@pytest.mark.parametrize("options", [{"wrong_secret": True}, {"stale": True}], ids=["bad-signature", "stale"])
async def test_unsigned_or_stale_requests_get_401(slack: SlackHarness, options: JsonDict) -> None:
    assert await slack.dm("let me in", **options) == 401
    status, _ = await slack.post(slack.signer.url_verification("x", **options))
    assert status == 401
    assert slack.seen == []
    assert await slack.deliver() == 0


async def test_bots_channels_and_slacks_own_changes_are_ignored(slack: SlackHarness) -> None:
    own = {**message_im_event("I'm the bot", user="U0BOT", channel=STRANGER_DM), "bot_id": "B0BOT"}
    other_bot = {**message_im_event("beep", channel=STRANGER_DM), "subtype": "bot_message", "bot_id": "B0OTHER"}
    other_bot.pop("user")
    other_bot_with_user = {**message_im_event("boop", user="U0OTHERBOT", channel=STRANGER_DM), "bot_id": "B0OTHER"}
    in_a_channel = {**message_im_event("hi all", channel="C0GENERAL"), "channel_type": "channel"}
    deleted = {**message_im_event("", channel=STRANGER_DM), "subtype": "message_deleted"}
    our_update = {"type": "message", "subtype": "message_changed", "channel": STRANGER_DM, "channel_type": "im",
                  "ts": "1700000001.000200", "message": {"type": "message", "user": "U0BOT", "bot_id": "B0BOT",
                                                         "text": "Shall we start?", "edited": {"user": "U0BOT"}}}
    unfurl = {"type": "message", "subtype": "message_changed", "channel": STRANGER_DM, "channel_type": "im",
              "ts": "1700000001.000300", "message": {"type": "message", "user": STRANGER, "text": "see https://x"}}

    for event in (own, other_bot, other_bot_with_user, in_a_channel, deleted, our_update, unfurl):
        assert await slack.event(event) == 200

    assert slack.seen == []
    assert await slack.deliver() == 0


async def test_a_file_or_an_edit_gets_the_text_only_reply(slack: SlackHarness) -> None:
    shared = {**message_im_event("look at this", user=STRANGER, channel=STRANGER_DM), "subtype": "file_share",
              "files": [{"id": "F0PHOTO", "name": "photo.jpg"}]}
    edit = {"type": "message", "subtype": "message_changed", "channel": STRANGER_DM, "channel_type": "im",
            "ts": "1700000002.000100", "message": {"type": "message", "user": STRANGER, "text": "hello again",
                                                   "ts": "1700000001.000100", "edited": {"user": STRANGER}}}
    assert await slack.event(shared) == 200
    assert await slack.event(edit) == 200

    # The words still reach the engine, which screens them but doesn't take them as an answer.
    assert [(m.unsupported, m.text, m.key.user) for m in slack.seen] == [("file", "look at this", STRANGER),
                                                                         ("edited", "hello again", STRANGER)]
    assert slack.seen[1].message_id == f"{STRANGER_DM}:1700000002.000100"
    assert await slack.deliver() == 2
    expected = escape(slack.app.engine.wording.text_only.format(name="there", coach="your coach", commands=""))
    assert [p["text"] for p in slack.posts(STRANGER_DM)] == [expected, expected]


async def test_a_crisis_message_gets_the_crisis_reply_and_the_coach_an_alert_dm(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_person(COACH, chat=None, coach=True)
    slack.add_person(SAM, chat=SAM_DM)
    caplog.set_level(logging.INFO)

    assert await slack.dm("[crisis] I can't see a way forward", user=SAM, channel=SAM_DM) == 200
    assert await slack.deliver() == 2

    [reply] = slack.posts(SAM_DM)
    assert "116 123" in reply["text"]  # the crisis reply carries the services directory
    [opened] = slack.fake.calls_to("conversations.open")
    assert opened.args["users"] == COACH
    [alert] = slack.posts(FakeSlack.dm_channel_for(COACH))
    assert "Sam Jones" in alert["text"]
    assert "way forward" not in alert["text"]
    assert all("way forward" not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


async def test_a_pre_registered_coachee_is_written_to_by_opening_their_dm(slack: SlackHarness) -> None:
    slack.add_person(COACH, chat=None, coach=True)
    coachee_id = slack.add_person("U0PRE", chat=None, name="Pat Lee")

    await slack.app.engine.prompt(coachee_id, "onboarding")
    assert await slack.deliver() == 1
    second = await slack.transport.send(outbound("U0PRE", Reply(text="And another thing")))

    assert [c.args["users"] for c in slack.fake.calls_to("conversations.open")] == ["U0PRE"]  # opened once
    posts = slack.posts("D0PRE")
    assert [p["text"].split(",")[0] for p in posts] == ["Hello Pat", "And another thing"]
    assert second == slack.fake.messages[-1]["ts"]


async def test_an_inactive_account_is_marked_unreachable_and_the_coach_told(slack: SlackHarness) -> None:
    slack.add_person(COACH, chat=None, coach=True)
    coachee_id = slack.add_person(SAM, chat=SAM_DM)
    await slack.app.engine.prompt(coachee_id, "onboarding")
    slack.fake.error_next("chat.postMessage", "account_inactive")

    assert await slack.deliver() == 0
    assert await slack.deliver() == 1

    with slack.app.db.connect() as conn:
        [dead] = store.outbox_rows(conn, statuses=["dead"])
        unreachable_at = conn.execute(select(t.identities.c.unreachable_at).where(
            t.identities.c.external_id == SAM)).scalar_one()
    assert dead.chat_id == SAM_DM and dead.last_error == "slack chat.postMessage: account_inactive"
    assert unreachable_at is not None
    [notice] = slack.posts(FakeSlack.dm_channel_for(COACH))
    notice_text = EngineWording.load().unreachable_notice.format(coachee="Sam Jones", transport="Slack")
    assert notice["text"] == escape(notice_text)


# sending


async def test_a_rate_limited_post_waits_out_retry_after_and_is_delivered(slack: SlackHarness) -> None:
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    assert await slack.dm("hello") == 200

    assert await slack.deliver() == 1

    assert [c.status for c in slack.fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.posts(STRANGER_DM)) == 1


async def test_a_429_that_outlasts_the_client_retries_goes_back_to_the_outbox_with_retry_after(
    fake_slack: FakeSlack,
) -> None:
    transport = SlackTransport(slack_config(fake_slack), rate_limit_retries=0)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)

    with pytest.raises(DeliveryError) as caught:
        await transport.send(outbound(SAM_DM, Reply(text="hi"), user=SAM))

    assert caught.value.retry_after == 30
    assert not caught.value.permanent and not caught.value.unreachable


@pytest.mark.parametrize(("method", "error", "chat", "unreachable", "permanent"), [
    ("chat.postMessage", "account_inactive", SAM_DM, True, True),
    ("chat.postMessage", "user_not_found", SAM_DM, True, True),
    ("chat.postMessage", "cannot_dm_bot", SAM_DM, True, True),
    ("chat.postMessage", "channel_not_found", SAM_DM, True, True),
    ("chat.postMessage", "is_archived", SAM_DM, True, True),
    ("conversations.open", "user_not_found", SAM, True, True),
    ("chat.postMessage", "invalid_blocks", SAM_DM, False, True),
    ("chat.postMessage", "internal_error", SAM_DM, False, False),
    ("chat.postMessage", "invalid_auth", SAM_DM, False, False),
])
async def test_slack_errors_map_to_what_the_outbox_should_do(
    fake_slack: FakeSlack, method: str, error: str, chat: str, unreachable: bool, permanent: bool
) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    fake_slack.error_next(method, error)

    with pytest.raises(DeliveryError) as caught:
        await transport.send(outbound(chat, Reply(text="hi"), user=SAM))

    assert (caught.value.unreachable, caught.value.permanent) == (unreachable, permanent)
    assert caught.value.reason == f"slack {method}: {error}"


async def test_a_server_error_is_retryable(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    fake_slack.fail_next("chat.postMessage", status=503)

    with pytest.raises(DeliveryError) as caught:
        await transport.send(outbound(SAM_DM, Reply(text="hi"), user=SAM))

    assert not caught.value.permanent and caught.value.retry_after is None


async def test_an_attachment_is_uploaded_with_the_text_as_its_comment(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    png = tiny_png(4, 4)
    reply = Reply(text="Your week <so far>", attachment=Attachment(filename="week.png", media_type="image/png",
                                                                   data=png))

    file_id = await transport.send(outbound(SAM_DM, reply, user=SAM))

    [upload] = fake_slack.uploads
    assert file_id == upload.file_id
    assert (upload.data, upload.channel_id, upload.completed) == (png, SAM_DM, True)
    assert upload.initial_comment == "Your week &lt;so far&gt;"
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_a_chart_goes_up_with_its_alt_text_and_a_markdown_digest_as_mrkdwn(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    chart = Attachment(filename="scaling.png", media_type="image/png", data=tiny_png(4, 4),
                       alt_text="Scaling chart, 1 to 10, 2 readings oldest first: 4 on 19 Nov (pre-session), "
                                "7 on 1 Dec (check-in).")
    reply = Reply(text="# Digest for Alex: Sam\n## History\n- **Goal**: calmer <ward> meetings", attachment=chart,
                  markdown=True)

    await transport.send(outbound(SAM_DM, reply, user=SAM))

    [upload] = fake_slack.uploads
    assert upload.alt_txt == chart.alt_text and upload.completed
    assert upload.initial_comment == "*Digest for Alex: Sam*\n*History*\n• *Goal*: calmer &lt;ward&gt; meetings"


async def test_an_alt_text_over_slacks_limit_is_cut_to_it(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    chart = Attachment(filename="scaling.png", media_type="image/png", data=tiny_png(2, 2), alt_text="7 " * 800)

    await transport.send(outbound(SAM_DM, Reply(text="Chart", attachment=chart), user=SAM))

    [upload] = fake_slack.uploads
    assert upload.alt_txt == ("7 " * 800)[:1000]


async def test_an_attachment_with_buttons_is_uploaded_then_the_question_posted(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    reply = Reply(text="Does this look right?", buttons=(Button(label="Yes", payload="p:yes"),),
                  attachment=Attachment(filename="week.png", media_type="image/png", data=tiny_png(2, 2)))

    ts = await transport.send(outbound(SAM_DM, reply, user=SAM))

    [upload] = fake_slack.uploads
    assert upload.initial_comment is None and upload.channel_id == SAM_DM
    [post] = fake_slack.successful_calls_to("chat.postMessage")
    assert ts == post.response["ts"]
    assert post.args["blocks"][-1]["elements"][0]["value"] == "p:yes"


# acknowledging


async def test_a_slow_turn_is_acknowledged_and_finishes_in_the_background(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack), ack_within=0.05)
    release, finished = asyncio.Event(), asyncio.Event()
    handled: list[str | None] = []

    async def slow(msg: InboundMessage) -> None:
        await release.wait()
        handled.append(msg.text)
        finished.set()

    await transport.start(slow)
    try:
        signed = SlackRequestSigner(SIGNING_SECRET).event(message_im_event("slow one", channel=STRANGER_DM))
        async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{transport.port}/slack/events", data=signed.content, headers=signed.headers
        ) as response:
            assert response.status == 200
        assert handled == []  # acknowledged while the turn was still waiting
        release.set()
        await asyncio.wait_for(finished.wait(), timeout=5)
        assert handled == ["slow one"]
    finally:
        await transport.stop()


async def test_a_listener_error_is_a_500_and_the_app_keeps_serving(fake_slack: FakeSlack) -> None:
    transport = SlackTransport(slack_config(fake_slack))
    handled: list[str | None] = []

    async def flaky(msg: InboundMessage) -> None:
        if msg.text == "boom":
            raise RuntimeError("something broke")
        handled.append(msg.text)

    await transport.start(flaky)
    signer = SlackRequestSigner(SIGNING_SECRET)
    url = f"http://127.0.0.1:{transport.port}/slack/events"
    try:
        async with aiohttp.ClientSession() as session:
            for text, expected in (("boom", 500), ("fine", 200)):
                signed = signer.event(message_im_event(text, channel=STRANGER_DM))
                async with session.post(url, data=signed.content, headers=signed.headers) as response:
                    assert response.status == expected
        assert handled == ["fine"]
    finally:
        await transport.stop()


# Socket Mode: the same listeners, fed over the fake's websocket


@pytest.fixture
async def socket_slack(
    config: Config, screener: MarkerScreener, fake_slack: FakeSlack
) -> AsyncIterator[SlackHarness]:
    socket_config = config.model_copy(update={"slack": slack_config(
        fake_slack, mode="socket", app_token="xapp-coachbot-test", signing_secret="")})
    base = make_harness(socket_config, screener)
    transport = SlackTransport(socket_config.slack)
    base.app.add_transport(transport)
    harness = SlackHarness(base=base, transport=transport, fake=fake_slack)

    async def handle(msg: InboundMessage) -> None:
        harness.seen.append(msg)
        await base.app.engine.handle(msg)

    await transport.start(handle)  # returns once connected
    try:
        yield harness
    finally:
        await transport.stop()
        base.app.db.dispose()


async def test_socket_mode_acknowledges_after_a_stored_turn_and_not_after_a_failed_one(
    socket_slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = socket_slack.fake
    real = store.record_receipt
    outcomes = iter([False, True])

    def database_down_once(*args: Any, **kwargs: Any) -> bool:
        if not next(outcomes, True):
            raise sa_exc.OperationalError("INSERT INTO receipts", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "record_receipt", database_down_once)
    body = event_envelope(message_im_event("hello", user=STRANGER, channel=STRANGER_DM), event_id="Ev0SOCK")

    failed = await fake.push_envelope(body)
    retried = await fake.push_envelope(body, retry_attempt=1, retry_reason="timeout")
    await fake.wait_for_socket_reply(retried)

    assert [r["envelope_id"] for r in fake.socket_replies] == [retried]  # the failed turn was never acknowledged
    assert failed != retried
    assert len(socket_slack.seen) == 2
    assert await socket_slack.deliver() == 1
    assert socket_slack.posts(STRANGER_DM)[0]["text"] == escape(socket_slack.app.engine.wording.stranger)


async def test_socket_mode_button_press_is_acknowledged_and_the_buttons_removed(socket_slack: SlackHarness) -> None:
    fake = socket_slack.fake
    socket_slack.add_person(COACH, chat=None, coach=True)
    socket_slack.add_person(SAM, chat=SAM_DM)
    await fake.wait_for_socket_reply(await fake.push_envelope(
        event_envelope(message_im_event("hi", user=SAM, channel=SAM_DM))))
    await socket_slack.deliver()
    [question] = [m for m in fake.messages if m["channel"] == SAM_DM]
    no = question["blocks"][-1]["elements"][1]
    payload = block_actions_payload(no["action_id"], value=no["value"], user_id=SAM, channel_id=SAM_DM,
                                    message_ts=question["ts"], message_text=question["text"], button_text="No")

    await fake.wait_for_socket_reply(await fake.push_envelope(payload, kind="interactive"))

    assert socket_slack.seen[-1].payload == "onboarding:welcome:no"
    [update] = await fake.wait_for("chat.update")
    assert update.args["blocks"][-1]["elements"][0]["text"] == "You chose: No"
    assert all(b["type"] != "actions" for b in update.args["blocks"])


# configuration


@pytest.mark.parametrize(("changes", "key"), [
    ({"bot_token": ""}, "slack.bot_token"),
    ({"signing_secret": ""}, "slack.signing_secret"),
    ({"mode": "socket", "app_token": ""}, "slack.app_token"),
])
def test_missing_secrets_are_a_config_error(fake_slack: FakeSlack, changes: JsonDict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        SlackTransport(slack_config(fake_slack, **changes))


def test_wording_names_commands_as_bare_words_because_slack_keeps_slash_commands() -> None:
    assert bare_commands("Type /help to see what you can do, or /resume.") == (
        "Type help to see what you can do, or resume.")
    assert bare_commands("See https://example.org/help and 24/7 support") == (
        "See https://example.org/help and 24/7 support")


async def test_at_debug_no_log_line_of_a_whole_conversation_holds_the_coachees_words(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_person(COACH, chat=COACH_DM, coach=True)
    sam = slack.add_person(SAM, chat=SAM_DM)
    caplog.set_level(logging.DEBUG)  # as an operator chasing a problem would (COACHBOT_LOG_LEVEL=DEBUG)
    said = ("hello from the lighthouse", "yes", "the lighthouse keeper says yes",
            "[crisis] the lighthouse is dark and I want to end my life")
    for text in said:
        assert await slack.dm(text, user=SAM, channel=SAM_DM) == 200
        await slack.deliver()
    # Their coach reads what Sam shared: the digest goes out through slack_sdk with Sam's words in it.
    with slack.app.db.begin() as conn:
        store.apply_profile(conn, sam, [ProfileChange(field="consent_store", value="yes"),
                                        ProfileChange(field="consent_share", value="yes")])
        store.add_answers(conn, coachee_id=sam, at=slack.app.engine.clock(), shared=True, answers=[RecordedAnswer(
            flow="pre_session", run_id="run-1", question="goal", text="Keep the lighthouse lit on nights")])
    assert await slack.dm("digest Sam", user=COACH, channel=COACH_DM) == 200
    await slack.deliver()
    assert any("lighthouse lit" in post["text"] for post in slack.posts(COACH_DM))
    assert slack.posts(SAM_DM)
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG  # still: nothing turned it back up
    assert [r.name for r in caplog.records if "lighthouse" in r.getMessage()] == []


async def test_a_reply_that_must_not_be_previewed_asks_slack_not_to_unfurl_it(fake_slack: FakeSlack) -> None:
    """A one-time sign-in link would be used up if Slack's servers fetched it to unfurl it."""
    transport = SlackTransport(slack_config(fake_slack))
    link = "https://coach.example.org/coach/signin/abc"

    await transport.send(outbound(SAM_DM, Reply(text=f"Open {link}", link_preview=False), user=SAM))
    await transport.send(outbound(SAM_DM, Reply(text=f"Read {link}"), user=SAM))

    once, other = fake_slack.calls_to("chat.postMessage")
    assert once.json["unfurl_links"] is False and once.json["unfurl_media"] is False
    assert "unfurl_links" not in other.json and "unfurl_media" not in other.json
