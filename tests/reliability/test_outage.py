"""A platform outage: Slack's Web API answering 5xx for a while. Nothing is lost, and once it recovers every
reply arrives, in order per chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import SlackConfig
from bot.outbox import OutboxSender
from bot.storage import store
from bot.transports.slack import SlackTransport
from bot.types import ConversationKey, Reply
from tests.conftest import Clock, Harness
from tests.transports.helpers.fake_slack import FakeSlack


async def test_replies_queued_during_a_slack_outage_arrive_in_order_when_it_recovers(harness: Harness) -> None:
    clock = Clock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    harness.use_clock(clock)
    with FakeSlack(token="xoxb-outage") as fake:
        slack = SlackTransport(SlackConfig(enabled=True, mode="http", bot_token="xoxb-outage",
                                           signing_secret="s", api_base_url=fake.base_url))
        harness.app.add_transport(slack)
        chats = {"D0A": [f"a{n}" for n in range(1, 6)], "D0B": [f"b{n}" for n in range(1, 4)]}
        with harness.app.db.begin() as conn:
            for chat, texts in chats.items():
                store.add_outbox(conn, to=ConversationKey(transport="slack", user="U" + chat, chat=chat),
                                 replies=[Reply(text=x) for x in texts], kind="reply", at=clock.now, coachee_id=None)
        fake.fail_next("chat.postMessage", status=503, times=6, error="service_unavailable")

        sender = OutboxSender(db=harness.app.db, transports={"slack": slack}, clock=clock,
                              pace_clock=lambda: clock.now.timestamp())

        async def sleep(seconds: float) -> None:  # time passes only on the test's clock
            clock.now += timedelta(seconds=seconds)

        started = clock.now
        await sender.drain(sleep=sleep)  # backs off through the outage and delivers when it recovers
        assert clock.now - started > timedelta(seconds=2 + 4 + 8)  # it waited, with growing backoff
        posts = fake.successful_calls_to("chat.postMessage")
        delivered = [(str(c.args["channel"]), str(c.args["text"])) for c in posts]
        for chat, texts in chats.items():
            assert [text for channel, text in delivered if channel == chat] == texts
        with harness.app.db.connect() as conn:
            assert {r.status for r in store.outbox_rows(conn, statuses=["pending", "sent", "dead"])} == {"sent"}
        assert len(fake.calls_to("chat.postMessage")) == 8 + 6  # each refused attempt retried, nothing doubled
        await slack.stop()
