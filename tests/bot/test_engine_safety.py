"""The whole safety path for each tier, through the engine on a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.config import Config, DatabaseConfig, SafetyConfig
from bot.listeners import PromptRefused
from bot.storage import outbox as outbox_rows
from bot.storage import schema as t
from bot.storage import store
from bot.transports.memory import MemoryTransport
from tests.conftest import Clock, Harness, MarkerScreener, make_harness, onboard, restarted

CRISIS_SERVICES = ("111", "option 2", "116 123", "85258", "GP")


def _status(h: Harness) -> str:
    with h.app.db.connect() as conn:
        return store.get_coachee(conn, h.coachee_id).status


def _events(h: Harness) -> list[dict[str, object]]:
    with h.app.db.connect() as conn:
        return [dict(r) for r in conn.execute(select(t.safety_events).order_by(t.safety_events.c.id)).mappings()]


def _coach_texts(h: Harness) -> list[str]:
    return h.transport.texts_to(h.coach_user)


async def test_check_asks_directly_and_a_no_carries_on_where_we_were(harness: Harness) -> None:
    await onboard(harness)
    replies = await harness.say("what's the point of any of it [check]")
    assert "thoughts of ending their life" in replies[0].text
    assert [b.label for b in replies[0].buttons] == ["Yes", "No"]
    replies = await harness.say("no")
    assert "Thank you for answering" in replies[0].text
    assert "work on in your coaching" in replies[-1].text  # the goal question again
    assert _status(harness) == "active"
    assert [e["action"] for e in _events(harness)] == ["asked_check_question", "check_cleared"]
    await harness.say("Chair meetings well")
    with harness.app.db.connect() as conn:
        assert [a.question for a in store.answers_of(conn, harness.coachee_id)] == ["goal"]


@pytest.mark.parametrize("answer", ["yes", "I'm not sure really"])
async def test_check_answered_yes_or_unclearly_is_treated_as_crisis(harness: Harness, answer: str) -> None:
    await onboard(harness)
    await harness.say("I'm done [check]")
    replies = await harness.say(answer)
    assert all(s in replies[0].text for s in CRISIS_SERVICES)
    assert _status(harness) == "hold"
    assert any("Safety alert for Sam Jones" in x for x in _coach_texts(harness))


async def test_check_answer_pressed_as_a_button(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("meh [check]")
    replies = await harness.say(payload="safety:check:no")
    assert "Thank you for answering" in replies[0].text


async def test_stress_shares_the_service_pauses_and_tells_the_coach(harness: Harness) -> None:
    await onboard(harness)
    replies = await harness.say("I can't sleep for worry [stress]")
    assert "Stress Support and Wellbeing" in replies[0].text
    assert _status(harness) == "paused"
    (notice,) = [x for x in _coach_texts(harness) if "Stress Support" in x]
    assert "under a lot of strain" in notice and "asked" not in notice  # what happened, not a request they made
    assert "can't sleep" not in notice
    assert "asked for a pause" not in replies[0].text and "you'd like a pause" not in replies[0].text
    assert "paused" in (await harness.say("a normal message"))[0].text
    replies = await harness.say("/resume")
    assert "work on in your coaching" in replies[-1].text
    assert _status(harness) == "active"


async def test_a_stress_message_typed_as_an_answer_is_not_kept_and_the_question_comes_back(
    harness: Harness,
) -> None:
    await onboard(harness)  # the goal question is open
    replies = await harness.say("honestly I'm so stressed I can't think about goals [stress]")
    assert "hasn't been kept as an answer" in replies[0].text and "ask that question again" in replies[0].text
    with harness.app.db.connect() as conn:
        assert store.answers_of(conn, harness.coachee_id) == []
    replies = await harness.say("/resume")
    assert "work on in your coaching" in replies[-1].text  # the same question, asked again


async def test_a_stress_message_with_no_question_open_says_nothing_about_an_answer(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("/pause")  # the goal question is put aside, so nothing is waiting for an answer
    replies = await harness.say("work is crushing me [stress]")
    assert "Stress Support and Wellbeing" in replies[0].text and "hasn't been kept" not in replies[0].text
    replies = await harness.say("/resume")
    assert "work on in your coaching" in replies[-1].text


async def test_crisis_stops_coaching_holds_and_alerts_the_coach(harness: Harness) -> None:
    await onboard(harness)
    replies = await harness.say("everyone would be better off without me [crisis]")
    assert len(replies) == 1
    reply = replies[0].text
    assert all(s in reply for s in CRISIS_SERVICES)
    assert "not a crisis service" in reply
    assert _status(harness) == "hold"
    (alert,) = [x for x in _coach_texts(harness) if "Safety alert" in x]
    assert "Sam Jones" in alert and "crisis tier" in alert and "UTC" in alert and "Samaritans" in alert
    assert "better off" not in alert  # the coach is not shown what was written
    (event,) = _events(harness)
    assert event["tier"] == "crisis" and event["action"] == "crisis_hold"
    assert json.loads(str(event["rules"])) == ["test.crisis"] and event["ruleset_version"] == "test"
    assert event["alert_delivered"] is True


async def test_emergency_puts_999_first(harness: Harness) -> None:
    await onboard(harness)
    replies = await harness.say("I've taken them all [emergency]")
    assert replies[0].text.startswith("Please call 999 or go to A&E now")
    assert all(s in replies[0].text for s in ("116 123", "85258"))
    assert _status(harness) == "hold"
    assert any("emergency tier" in x for x in _coach_texts(harness))


async def test_the_hold_holds_across_messages_and_a_restart_until_the_coach_lifts_it(
    config: Config, screener: MarkerScreener
) -> None:
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    await onboard(h)
    await h.say("I want to end it [crisis]")
    later = await h.say("Chair meetings well")
    assert "paused while you get support" in later[0].text
    with h.app.db.connect() as conn:
        assert store.answers_of(conn, h.coachee_id) == []
    with pytest.raises(PromptRefused):
        await h.app.engine.prompt(h.coachee_id, "pre_session")

    # Restart: the hold is in the database, not in memory.
    app, transport = await restarted(config, screener)
    await transport.receive(transport.message("u1", "hello again", message_id="r1"))
    await app.outbox.deliver_due()
    # Still on hold, and the reply is the next one in turn: the count is in the database too.
    assert transport.texts_to("u1")[-1].startswith("I'm here, Sam") and "999" in transport.texts_to("u1")[-1]
    with app.db.connect() as conn:
        conversation = store.conversation_of(conn, h.coachee_id)
    assert conversation is not None and conversation.safety_tier.value == "crisis"

    # An escalation while on hold still alerts again.
    await transport.receive(transport.message("u1", "I have the tablets here [emergency]", message_id="r2"))
    await app.outbox.deliver_due()
    assert transport.texts_to("u1")[-1].startswith("Please call 999")
    assert any("emergency tier" in x for x in transport.texts_to("c1"))

    # The coach lifts the hold from their own chat.
    await transport.receive(transport.message("c1", "/resume Sam", message_id="r3"))
    await app.outbox.deliver_due()
    assert "back on" in transport.texts_to("c1")[-1]
    assert "picked your coaching back up" in transport.texts_to("u1")[-2]
    assert "work on in your coaching" in transport.texts_to("u1")[-1]
    with app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == "active"
    await transport.receive(transport.message("u1", "Chair meetings well", message_id="r4"))
    with app.db.connect() as conn:
        assert [a.question for a in store.answers_of(conn, h.coachee_id)] == ["goal"]


async def test_later_calm_messages_never_lower_the_tier(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("[crisis]")
    for text in ("I'm fine now honestly", "6", "/resume"):
        reply = (await harness.say(text))[0].text
        assert "999" in reply and "picked your coaching back up" not in reply  # still held, /resume included
    assert _status(harness) == "hold"
    assert [e["action"] for e in _events(harness)] == ["crisis_hold"] + ["on_hold_reply"] * 3


async def test_on_a_hold_the_reply_to_each_new_message_varies_and_always_shows_a_way_to_help(
    harness: Harness,
) -> None:
    await onboard(harness)
    await harness.say("[crisis]")
    replies = [(await harness.say(f"message {n}"))[0].text for n in range(8)]
    assert len(set(replies[:4])) == 4  # four different replies in a row, not the same block
    assert replies[0] == replies[4]  # then round again: the full block with every service comes back
    assert all(s in replies[0] for s in CRISIS_SERVICES)
    for reply in replies:
        assert "999" in reply and "Sam" in reply
        assert "111" in reply or "116 123" in reply  # a service to reach now, from the services directory
    assert all(len(r) < len(replies[0]) for r in replies[1:4])  # the later ones are shorter
    # An escalation starts a new count: the next calm message gets the full block again.
    await harness.say("[emergency]")
    after = (await harness.say("sorry"))[0].text
    assert all(s in after for s in CRISIS_SERVICES)


async def test_safeguarding_contact_is_alerted_too(db_url: str, screener: MarkerScreener) -> None:
    config = Config(database=DatabaseConfig(url=db_url),
                    safety=SafetyConfig(alert="coach+safeguarding", safeguarding_contact="2"))
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    with h.app.db.begin() as conn:
        lead = store.add_coach(conn, name="Safeguarding Lead", at=h.app.engine.clock())
        store.add_identity(conn, transport="memory", external_id="lead", coach_id=lead.id)
    await onboard(h)
    await h.say("[crisis]")
    assert any("Safety alert for Sam Jones" in x for x in h.transport.texts_to("lead"))


def test_the_alert_is_in_the_outbox_even_when_the_process_dies_right_after_the_commit(
    tmp_path: Path, db_url: str
) -> None:
    script = textwrap.dedent(f"""
        import asyncio, os
        from bot.app import build_app
        from bot.config import Config, DatabaseConfig
        from bot.storage import store
        from bot.transports.memory import MemoryTransport
        from tests.conftest import MarkerScreener, onboard, Harness

        async def main():
            app = build_app(Config(database=DatabaseConfig(url={db_url!r})), screener=MarkerScreener())
            t = MemoryTransport(); app.add_transport(t)
            with app.db.begin() as conn:
                coach = store.add_coach(conn, name="Alex Coach", at=app.engine.clock())
                store.add_identity(conn, transport="memory", external_id="c1", coach_id=coach.id)
                e = store.add_coachee(conn, coach_id=coach.id, name="Sam Jones", at=app.engine.clock())
                store.add_identity(conn, transport="memory", external_id="u1", coachee_id=e.id)
            await t.start(app.engine.handle)
            await t.receive(t.message("u1", "hello"))
            await t.receive(t.message("u1", "[crisis]"))
            os._exit(9)  # killed right after the commit, before anything was delivered

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode == 9
    app = build_app(Config(database=DatabaseConfig(url=db_url)), screener=MarkerScreener())
    with app.db.connect() as conn:
        pending = store.outbox_rows(conn, statuses=["pending"])
    alerts = [r for r in pending if r.kind == "alert"]
    assert len(alerts) == 1 and alerts[0].user_id == "c1"
    transport = MemoryTransport()
    app.add_transport(transport)
    import asyncio

    asyncio.run(app.outbox.deliver_due())
    assert transport.texts_to("c1")[0].startswith("Safety alert for Sam Jones")
    with app.db.connect() as conn:
        (event,) = [dict(r) for r in conn.execute(select(t.safety_events)).mappings()]
    assert event["alert_delivered"] is True


async def test_a_stranger_in_crisis_is_signposted_without_an_invite(harness: Harness) -> None:
    replies = await harness.say("I want to die [crisis]", user="stranger")
    assert all(s in replies[0].text for s in ("116 123", "85258", "not a crisis service"))
    assert "{" not in replies[0].text and "I've let" not in replies[0].text  # there is no coach to have told


async def test_a_stranger_in_an_emergency_is_told_to_call_999_and_no_coach_is_claimed(harness: Harness) -> None:
    replies = await harness.say("I have taken them all [emergency]", user="stranger2")
    assert replies[0].text.startswith("Please call 999 or go to A&E now")
    assert "not a crisis service" in replies[0].text and "I've let" not in replies[0].text


async def test_only_a_coach_can_lift_a_hold(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("[crisis]")
    await harness.say("/resume Sam")
    assert _status(harness) == "hold"


async def test_a_flood_from_one_stranger_gives_one_alert_an_hour_and_a_coachees_alert_goes_first(
    db_url: str, screener: MarkerScreener
) -> None:
    config = Config(database=DatabaseConfig(url=db_url),
                    safety=SafetyConfig(alert="coach+safeguarding", safeguarding_contact="2"))
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    clock = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    h.use_clock(clock)
    with h.app.db.begin() as conn:
        lead = store.add_coach(conn, name="Safeguarding Lead", at=clock.now)
        store.add_identity(conn, transport="memory", external_id="lead", coach_id=lead.id)
    await onboard(h)

    def pending_alerts() -> list[str]:
        with h.app.db.connect() as conn:
            rows = outbox_rows.due_rows(conn, transport="memory", per_chat=1000, batch=1000)
        return [json.loads(r.payload)["text"] for r in rows if r.kind == "alert" and r.user_id == "lead"]

    # 200 crisis messages from one stranger: each is signposted, each is recorded, one alert waits.
    for n in range(200):
        await h.transport.receive(h.transport.message("stranger", f"message {n} [crisis]"))
        clock.now += timedelta(seconds=5)
    assert len(h.transport.texts_to("stranger")) == 0  # nothing delivered yet: the outbox hasn't run
    assert [a.split(" sent a")[0] for a in pending_alerts()] == [
        "Safety alert: someone who is not yet registered (memory user stranger)"]
    # Other strangers, then a coachee in crisis: the coachee's alert is the first the contact gets.
    for n in range(5):
        await h.transport.receive(h.transport.message(f"someone-{n}", "help [crisis]"))
    await h.transport.receive(h.transport.message("u1", "I can't go on [crisis]"))
    alerts = pending_alerts()
    assert len(alerts) == 7 and alerts[0].startswith("Safety alert for Sam Jones")
    await h.app.outbox.deliver_due()
    assert h.transport.texts_to("lead")[0].startswith("Safety alert for Sam Jones")
    assert len(h.transport.texts_to("stranger")) == 200 and all(
        "not a crisis service" in text for text in h.transport.texts_to("stranger"))
    with h.app.db.connect() as conn:
        events = [dict(r) for r in conn.execute(select(t.safety_events)).mappings()]
    assert len([e for e in events if e["coachee_id"] is None]) == 205

    # An hour after the first alert, the same stranger writes again: one new alert, with the count of the rest.
    clock.now = datetime(2026, 11, 2, 10, 0, 1, tzinfo=UTC)
    await h.transport.receive(h.transport.message("stranger", "still here [crisis]"))
    (again,) = pending_alerts()
    assert "memory user stranger" in again and "since the last alert about them at 2026-11-02 09:00 UTC they have " \
        "sent 199 more messages" in again.replace("Since", "since")
    assert "message 1" not in again  # never the words


async def test_on_hold_their_help_privacy_and_data_rights_still_work_and_risk_still_comes_first(
    harness: Harness,
) -> None:
    await onboard(harness)
    await harness.say("I can't go on [crisis]")
    assert _status(harness) == "hold"
    assert "/mydata" in await harness.texts("/help") and _status(harness) == "hold"
    assert "116 123" not in await harness.texts("/privacy")
    (mydata,) = await harness.say("/mydata")
    assert mydata.attachment is not None and json.loads(mydata.attachment.data)["profile"]["name"] == "Sam Jones"
    # a sign of risk inside a command is still risk
    assert "116 123" in await harness.texts("/help I want to end it [crisis]")
    assert "deletes everything" in await harness.texts("/forget")
    await harness.press("Yes, delete it all")
    with harness.app.db.connect() as conn:
        assert store.list_coachees(conn) == []  # erased, as asked, hold or not


async def test_saying_the_alert_was_a_mistake_is_heard_the_hold_stays_and_the_coach_is_told(
    harness: Harness,
) -> None:
    await onboard(harness)
    await harness.say("I can't go on [crisis]")
    before = len(harness.transport.texts_to("c1"))
    reply = await harness.texts("Honestly I didn\u2019t mean it like that, I was talking about a film")
    assert "let Alex Coach know you said it was a mistake" in reply and "116 123" not in reply
    assert _status(harness) == "hold"  # the coach decides
    await harness.app.outbox.deliver_due()
    (notice,) = harness.transport.texts_to("c1")[before:]
    assert "said at" in notice and "was a mistake" in notice and "/resume Sam Jones" in notice
    assert "film" not in notice  # never their words
    # while risk shows, it is not taken as a mistake
    assert "116 123" in await harness.texts("it was a mistake but I still want to die [crisis]")
    assert _status(harness) == "hold"
