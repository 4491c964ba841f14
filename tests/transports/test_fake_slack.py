"""A real slack-bolt AsyncApp, served over HTTP on 127.0.0.1, talking to the fake Slack Web API.

Requests into the app are signed with ``helpers/slack_signing.py``; the app's outgoing Web API
calls go to ``helpers/fake_slack.py``, which records them.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from .helpers.fake_slack import FakeSlack
from .helpers.media import tiny_png
from .helpers.slack_signing import (
    SignedRequest,
    SlackRequestSigner,
    block_actions_payload,
    message_im_event,
)

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-0000-test-token"
USER_ID = "U0USER1"
DM_CHANNEL = "D0USER1"


@dataclass
class BoltHarness:
    app: AsyncApp
    client: AsyncWebClient
    url: str
    signer: SlackRequestSigner
    events: list[dict[str, Any]] = field(default_factory=list)
    retry_nums: list[str | None] = field(default_factory=list)

    async def post(self, request: SignedRequest) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=request.content, headers=request.headers) as response,
        ):
            return response.status, await response.text()


@pytest.fixture
async def bolt(fake_slack: FakeSlack) -> AsyncIterator[BoltHarness]:
    client = AsyncWebClient(base_url=fake_slack.base_url, token=BOT_TOKEN)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client, request_verification_enabled=True)

    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    harness = BoltHarness(
        app=app,
        client=client,
        url=f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events",
        signer=SlackRequestSigner(SIGNING_SECRET),
    )

    @app.event("message")
    async def on_dm(event: dict[str, Any], say: AsyncSay, request: AsyncBoltRequest) -> None:
        harness.events.append(event)
        harness.retry_nums.append(request.headers.get("x-slack-retry-num", [None])[0])
        await say(f"echo: {event['text']}")

    @app.action("approve")
    async def on_approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text="Approved", blocks=[]
        )

    try:
        yield harness
    finally:
        await runner.cleanup()


# -- inbound: signed requests into Bolt ---------------------------------------------------------
async def test_url_verification_echoes_challenge(bolt: BoltHarness) -> None:
    status, text = await bolt.post(bolt.signer.url_verification("challenge-xyz"))
    assert status == 200
    assert "challenge-xyz" in text


async def test_message_im_event_is_answered_with_post_message(
    bolt: BoltHarness, fake_slack: FakeSlack
) -> None:
    event = message_im_event("hi coach", user=USER_ID, channel=DM_CHANNEL)
    status, _ = await bolt.post(bolt.signer.event(event))
    assert status == 200

    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.args["channel"] == DM_CHANNEL
    assert call.args["text"] == "echo: hi coach"
    assert call.token == BOT_TOKEN
    assert fake_slack.calls_to("auth.test")  # Bolt's single-workspace authorization
    assert [e["text"] for e in bolt.events] == ["hi coach"]
    [message] = fake_slack.messages
    assert message["channel"] == DM_CHANNEL
    assert message["user"] == fake_slack.bot_user_id


async def test_block_actions_payload_is_answered_with_chat_update(
    bolt: BoltHarness, fake_slack: FakeSlack
) -> None:
    posted = await bolt.client.chat_postMessage(channel=DM_CHANNEL, text="Approve the plan?")
    payload = block_actions_payload(
        "approve", value="plan-1", user_id=USER_ID, channel_id=DM_CHANNEL, message_ts=posted["ts"]
    )
    request = bolt.signer.interactivity(payload)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body.startswith("payload=")

    status, _ = await bolt.post(request)
    assert status == 200

    [call] = await fake_slack.wait_for("chat.update")
    assert call.args["channel"] == DM_CHANNEL
    assert call.args["ts"] == posted["ts"]
    assert call.args["text"] == "Approved"
    [message] = fake_slack.messages
    assert message["text"] == "Approved"
    assert "edited" in message


@pytest.mark.parametrize(
    "options", [{"wrong_secret": True}, {"stale": True}], ids=["bad-signature", "stale-timestamp"]
)
async def test_bad_signature_or_stale_timestamp_is_rejected(
    bolt: BoltHarness, fake_slack: FakeSlack, options: dict[str, Any]
) -> None:
    event = message_im_event("let me in", user=USER_ID, channel=DM_CHANNEL)
    status, _ = await bolt.post(bolt.signer.event(event, **options))
    assert status == 401
    assert bolt.events == []
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_retry_num_header_reaches_the_app_and_is_not_deduplicated(
    bolt: BoltHarness, fake_slack: FakeSlack
) -> None:
    event = message_im_event("same event", user=USER_ID, channel=DM_CHANNEL)
    envelope = {"event_id": "Ev0SAME"}
    assert (await bolt.post(bolt.signer.event(event, envelope=envelope)))[0] == 200
    assert (await bolt.post(bolt.signer.event(event, envelope=envelope, retry_num=1)))[0] == 200

    await fake_slack.wait_for("chat.postMessage", count=2)
    assert bolt.retry_nums == [None, "1"]  # Bolt hands both deliveries to the listener


# -- outbound: Web API behaviour of the fake --------------------------------------------------------
async def test_rate_limited_post_message_is_retried_after_retry_after(
    bolt: BoltHarness, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    response = await bolt.client.chat_postMessage(channel=DM_CHANNEL, text="eventually")
    elapsed = time.monotonic() - started

    assert response["ok"] is True
    assert elapsed >= 1.0  # the retry handler waited out Retry-After
    calls = fake_slack.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert [m["text"] for m in fake_slack.messages] == ["eventually"]


async def test_rate_limit_without_retry_handler_surfaces_as_error(fake_slack: FakeSlack) -> None:
    client = AsyncWebClient(base_url=fake_slack.base_url, token=BOT_TOKEN)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=DM_CHANNEL, text="no retry")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "30"


async def test_server_errors_are_retried_by_server_error_handler(fake_slack: FakeSlack) -> None:
    client = AsyncWebClient(base_url=fake_slack.base_url, token=BOT_TOKEN)
    client.retry_handlers.append(
        AsyncServerErrorRetryHandler(
            max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.05)
        )
    )
    fake_slack.fail_next("chat.postMessage", times=2, status=503)
    response = await client.chat_postMessage(channel=DM_CHANNEL, text="after outage")
    assert response["ok"] is True
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [503, 503, 200]


async def test_files_upload_v2_records_png(bolt: BoltHarness, fake_slack: FakeSlack) -> None:
    png = tiny_png(4, 4)
    response = await bolt.client.files_upload_v2(
        channel=DM_CHANNEL, file=png, filename="week.png", title="Your week", initial_comment="Here it is"
    )

    assert response["ok"] is True
    [upload] = fake_slack.uploads
    assert response["file"]["id"] == upload.file_id
    assert upload.data == png
    assert upload.length == len(png)
    assert upload.completed
    assert (upload.filename, upload.title) == ("week.png", "Your week")
    assert upload.channel_id == DM_CHANNEL
    assert upload.initial_comment == "Here it is"
    methods = [c.method for c in fake_slack.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    async with aiohttp.ClientSession() as session, session.get(response["file"]["url_private"]) as download:
        assert await download.read() == png


async def test_conversations_open_and_users_info(fake_slack: FakeSlack) -> None:
    fake_slack.users["U0ADA"] = {"tz": "America/New_York", "tz_offset": -18000}
    client = AsyncWebClient(base_url=fake_slack.base_url, token=BOT_TOKEN)

    opened = await client.conversations_open(users="U0ADA")
    assert opened["channel"]["id"] == FakeSlack.dm_channel_for("U0ADA") == "D0ADA"

    info = await client.users_info(user="U0ADA")
    assert info["user"]["id"] == "U0ADA"
    assert info["user"]["tz"] == "America/New_York"


async def test_missing_token_and_unknown_method(fake_slack: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=fake_slack.base_url)
    with pytest.raises(SlackApiError, match="not_authed"):
        await anonymous.auth_test()
    client = AsyncWebClient(base_url=fake_slack.base_url, token=BOT_TOKEN)
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("views.open", json={"trigger_id": "x", "view": {}})
    fake_slack.set_response("views.open", {"ok": True, "view": {"id": "V0FAKE"}})
    opened = await client.api_call("views.open", json={"trigger_id": "x", "view": {}})
    assert opened["view"]["id"] == "V0FAKE"
