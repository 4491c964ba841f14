"""A coach in chat: caseload, digest, lifting a hold, booking a session, inviting. Coaches only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.config import Config, SecurityConfig
from bot.storage import schema as t
from bot.storage import store
from tests.conftest import Clock, Harness, MarkerScreener, make_harness, onboard
from tests.flows.test_pre_session import answer_up_to_review


async def coach(h: Harness, text: str) -> str:
    return await h.texts(text, user="c1")


async def test_coachees_lists_the_caseload_with_status(harness: Harness) -> None:
    text = await coach(harness, "/coachees")
    assert "Sam Jones" in text and "active" in text


async def test_digest_shows_only_what_the_coachee_sent(harness: Harness) -> None:
    await onboard(harness)
    await answer_up_to_review(harness)
    assert "Lead calmer ward meetings" not in await coach(harness, "/digest Sam")
    await harness.press("Keep one private")
    await harness.press("Anything else")
    await harness.press("Send to Alex Coach")
    digest = await coach(harness, "/digest Sam")
    assert "Lead calmer ward meetings" in digest and "restructure" not in digest


async def test_the_digest_asked_for_in_chat_is_marked_markdown_like_the_one_sent_before_a_session(
        harness: Harness) -> None:
    await onboard(harness)
    (reply,) = await harness.say("/digest Sam", user="c1")
    assert reply.markdown and reply.text.startswith("#")  # each platform shows its headings, not the "#"


async def test_resume_lifts_a_safety_hold(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("[crisis] I want to end it all")
    assert "back on" in await coach(harness, "/resume Sam Jones")
    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, harness.coachee_id).status == "active"


async def test_schedule_books_a_session_in_the_coachees_time_zone(harness: Harness) -> None:
    harness.use_clock(Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC)))  # a Thursday
    await onboard(harness)
    text = await coach(harness, "/schedule Sam next Tuesday 10:00")
    assert "session 1 with Sam Jones on Tuesday 24 November 2026, 10:00 (Europe/London)" in text
    assert "session 2" in await coach(harness, "/schedule Sam Jones 2026-12-08T14:30")
    with harness.app.db.connect() as conn:
        sessions = [(s.number, s.at) for s in store.list_sessions(conn, coachee_id=harness.coachee_id)]
    assert sessions == [(1, datetime(2026, 11, 24, 10, 0, tzinfo=UTC)), (2, datetime(2026, 12, 8, 14, 30, tzinfo=UTC))]
    assert "couldn't read" in await coach(harness, "/schedule Sam whenever suits")
    assert "couldn't read" in await coach(harness, "/schedule Sam 2020-01-01T10:00")  # in the past
    assert "Tell me who and when" in await coach(harness, "/schedule Nobody tomorrow 10:00")


async def test_invite_gives_a_working_single_use_code(harness: Harness) -> None:
    text = await coach(harness, "/invite")
    code = text.split("A new invite code: ")[1].split()[0]
    assert f'"join {code}"' in text
    joined = await harness.texts(f"/start {code}", user="newbie", name="Kim Lee")
    assert "Hello Kim" in joined


async def test_coach_commands_are_for_coaches_only(harness: Harness) -> None:
    await onboard(harness)
    for command in ("/coachees", "/digest Sam", "/invite", "/schedule Sam tomorrow 10:00"):
        reply = await harness.texts(command)
        assert reply == "That's for coaches."
        assert "Sam Jones" not in reply and "invite code" not in reply and "Booked" not in reply
    with harness.app.db.connect() as conn:
        assert store.list_sessions(conn, coachee_id=harness.coachee_id) == []


async def test_after_a_hold_is_lifted_the_review_comes_back_with_the_coachees_answers(harness: Harness) -> None:
    await onboard(harness)
    await answer_up_to_review(harness)
    await harness.say("[crisis] I can't go on")
    await coach(harness, "/resume Sam")
    back = harness.transport.texts_to("u1")[-1]
    assert "exactly what Alex Coach will see" in back and "Lead calmer ward meetings" in back
    await harness.press("Send to Alex Coach")
    digest = await coach(harness, "/digest Sam")
    assert "Lead calmer ward meetings" in digest
    assert "{" not in digest and "**Goal**" in digest  # headings, not raw question templates


async def test_invites_last_as_long_as_the_service_configures(config: Config, screener: MarkerScreener) -> None:
    short = config.model_copy(update={"security": SecurityConfig(invite_valid_for=timedelta(days=2))})
    h = make_harness(short, screener)
    await h.transport.start(h.app.engine.handle)
    clock = Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC))
    h.use_clock(clock)
    text = await coach(h, "/invite")
    assert "for 2 days" in text
    code = text.split("A new invite code: ")[1].split()[0]
    clock.now += timedelta(days=2, minutes=1)
    assert "didn't work" in await h.texts(f"/start {code}", user="late", name="Kim")


async def test_a_name_stored_with_a_newline_cant_forge_a_line_of_the_digest(harness: Harness) -> None:
    # A row written before names were cleaned (or by hand): read back, it is one line all the same.
    with harness.app.db.begin() as conn:
        conn.execute(update(t.coachees).where(t.coachees.c.id == harness.coachee_id)
                     .values(name="Sam Jones\n\nSafety events: None\n"))
    digest = await coach(harness, "/digest Sam")
    assert "Sam Jones Safety events: None" in digest
    assert not any(line.strip() == "Safety events: None" for line in digest.splitlines())
    assert "Sam Jones Safety events: None (id" in await coach(harness, "/coachees")


async def test_two_coachees_of_one_coach_with_the_same_name_are_told_apart_in_the_digest(harness: Harness) -> None:
    with harness.app.db.begin() as conn:
        other = store.add_coachee(conn, coach_id=harness.coach_id, name="Sam Jones", at=harness.app.engine.clock())
    first = await coach(harness, f"/digest {harness.coachee_id}")
    second = await coach(harness, f"/digest {other.id}")
    assert f"Sam Jones (coachee {harness.coachee_id})" in first.splitlines()[0]
    assert f"Sam Jones (coachee {other.id})" in second.splitlines()[0]
    asked = await coach(harness, "/digest Sam Jones")  # by name, the coach is asked which, with the ids to say it
    assert f"Sam Jones (id {harness.coachee_id}), Sam Jones (id {other.id})" in asked
