"""The coach's digest, built from real flows on a real database (a SQLite file, and PostgreSQL): per session, what
the coachee said for that session and a short history labelled by where each answer came from; what it must never
show (a private answer, anything from a coachee who declined to share, the words behind a safety event); whether
they said an alert was a mistake; the scaling chart as a PNG a phone can show; and `coachbot digest --send/--chart`."""

from __future__ import annotations

import io
import json
import os
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread
from matplotlib.text import Text
from sqlalchemy import select

from bot.chart import MIN_FONT_SIZE, SLOT, Reading, SessionMark, chart_alt, chart_figure, chart_png, layout
from bot.cli import main
from bot.config import Config
from bot.digest import Digest, build_digest, sparkline
from bot.storage import store
from bot.storage.erasure import erase_coachee, export_coachee
from bot.storage.schema import metadata
from bot.types import Reply
from bot.wording import EngineWording
from tests.conftest import Clock, Harness, onboard
from tests.flows.test_post_session import record_actions
from tests.flows.test_pre_session import ANSWERS, LATER, answer_up_to_review

# Thursday 19 November 2026: session 1 is on Tuesday 24th, session 2 on Tuesday 8 December.
START = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
SESSION_ONE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SESSION_TWO = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
DIGEST_TIME = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WORDS = EngineWording.load().digest


def digest_of(h: Harness, *, now: datetime = DIGEST_TIME, chart: bool = True) -> Digest:
    with h.app.db.connect() as conn:
        return build_digest(conn, coachee_id=h.coachee_id, flows=h.app.flows.registry, now=now, chart=chart,
                            default_timezone="Europe/London")


def section(text: str, title: str) -> list[str]:
    """The lines under one heading, up to the next heading of the same level or above."""
    level = title.split(" ")[0]
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")
                and len(lines[i].split(" ")[0]) <= len(level)), len(lines))
    return [line for line in lines[start:end] if line]


def book_sessions(h: Harness) -> None:
    with h.app.db.begin() as conn:
        for at in (SESSION_ONE, SESSION_TWO):
            store.add_session(conn, coachee_id=h.coachee_id, at=at, timezone="Europe/London", number=None)


async def session_one_sent(h: Harness, *, private: tuple[str, ...] = ("Anything else",)) -> Clock:
    """Onboarding and session 1's questions on 19 November, sent with these answers kept private."""
    clock = Clock(START)
    h.use_clock(clock)
    await onboard(h)
    await answer_up_to_review(h)
    for label in private:
        await h.press("Keep one private")
        await h.press(label)
    await h.press("Send to Alex Coach")
    book_sessions(h)
    return clock


async def checkin(h: Harness, clock: Clock, at: datetime, reading: str, *answers: str, share: str = "Yes") -> None:
    """A check-in at `at`: the reading by button, then each text answer in turn (actions are pressed by name),
    then whether to share it with the coach."""
    clock.now = at
    await h.prompt("checkin")
    await h.press(reading)
    for answer in answers:
        if answer in ("Done", "Partly", "Not yet"):
            await h.press(answer)
        else:
            await h.say(answer)
    await h.press(share)


async def follow_up_changing_the_goal(h: Harness, clock: Clock, *, at: datetime, send: bool = True) -> None:
    """Before session 2: the first action not yet done (the second was done at the check-in), the goal changed
    and why, scaling 5."""
    clock.now = at
    await h.prompt("follow_up")
    await h.say("Busy, but I tried things")
    await h.press("Not yet")
    await h.say("Rota gaps all month")
    await h.say("Ask the matron to free an hour")
    await h.say("change it")
    await h.say("Lead shorter ward meetings")
    await h.say("They run well over an hour")
    await h.press("5")
    await h.say("Noticing when people drift")  # strengths drawn on since
    await h.say("/skip")  # the role model
    await h.say("Practise opening the meeting")
    if send:
        await h.press("Send to Alex Coach")


def review_payload(question: str) -> str:
    """The review's "keep private" pick for one answer, by its question (two actions share the heading)."""
    return f"follow_up:review:{question}"


async def test_before_session_one_the_digest_gives_the_pre_session_answers_as_this_sessions(
    harness: Harness,
) -> None:
    await session_one_sent(harness)

    text = digest_of(harness, now=datetime(2026, 11, 23, 10, 0, tzinfo=UTC)).text
    assert text.startswith("# Digest for Alex Coach: Sam Jones\n")
    assert "- Session 1: Tuesday 24 November 2026, 10:00 (Europe/London)" in text and "Last session" not in text
    assert section(text, "## For session 1: what they said before it") == [
        "Their answers to the pre-session questions, 19 Nov:",
        f"- **Goal**: {ANSWERS['goal']}",
        f"- **Why this, and why now**: {ANSWERS['why_now']}",
        f"- **From the first session**: {ANSWERS['session_want']}",
        f"- **How you'll know it helped**: {ANSWERS['know_useful']}",
        f"- **Preferred future**: {ANSWERS['miracle']}",
        f"- **What it might cost**: {ANSWERS['costs']}",
        f"- **Cost against benefit**: {ANSWERS['cost_worth']}",
        "- **Scaling**: 4",
        f"- **A time it went well**: {LATER['exception']}",
        f"- **Strengths**: {LATER['strengths']}",
        f"- **Role model**: {LATER['role_model']}",
        f"- **Talking to them**: {LATER['role_model_talk']}",
        "Sam kept 1 answer private.",
    ]
    assert LATER["anything_else"] not in text and "restructure" not in text
    assert section(text, "### Goal over time") == [f"- 19 Nov, before session 1: {ANSWERS['goal']}",
                                                   f"  - Why: {ANSWERS['why_now']}"]
    assert section(text, "### Scaling trend")[1] == "- Readings: 4 (19 Nov, pre-session)"
    assert section(text, "## Safety events") == ["None."]


async def test_before_session_two_the_digest_gives_the_follow_up_and_session_one_only_as_history(
    harness: Harness,
) -> None:
    clock = await session_one_sent(harness)
    clock.now = SESSION_ONE + timedelta(hours=2)
    await record_actions(harness, [("Book a 1:1 with each band 6", "friday"), ("Draft a shorter agenda", "in 2 weeks")])
    await checkin(harness, clock, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "7", "Preparing the agenda the night before",
                  "Partly", "Two of them are on nights", "Done", "/skip", "I'm feeling more confident")
    clock.now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    await harness.say("/journal")
    await harness.say("Proud of how I chaired today")
    await harness.press("Yes")

    # Before the follow-up is answered there is nothing for session 2, and session 1's answers aren't passed off
    # as its answers.
    waiting = digest_of(harness, now=datetime(2026, 12, 3, 10, 0, tzinfo=UTC)).text
    assert section(waiting, "## For session 2: what they said before it") == [
        "Sam hasn't shared answers for this session yet."]

    await follow_up_changing_the_goal(harness, clock, at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    text = digest_of(harness).text
    assert "- Session 2: Tuesday 8 December 2026, 10:00 (Europe/London)" in text
    assert "- Last session: 1, Tuesday 24 November 2026" in text
    assert section(text, "## For session 2: what they said before it") == [
        "Their answers to the follow-up questions, 4 Dec:",
        "- **Since the last session**: Busy, but I tried things",
        "- **Actions**: Book a 1:1 with each band 6: Not yet",
        "- **What got in the way**: Book a 1:1 with each band 6: Rota gaps all month",
        "- **What you'll try now**: Book a 1:1 with each band 6: Ask the matron to free an hour",
        "- **The goal**: Change it",
        "- **Goal, as you'd put it now**: Lead shorter ward meetings",
        "- **Why change it**: They run well over an hour",
        "- **Scaling**: 5",
        "- **Strengths drawn on since**: Noticing when people drift",
        "- **From this session**: Practise opening the meeting",
    ]
    # Session 1's own wishes for its session are not this session's, and appear nowhere.
    for answer in ("session_want", "know_useful", "miracle", "costs", "cost_worth"):
        assert ANSWERS[answer] not in text
    assert section(text, "## History")[0] == "### Goal over time"
    assert section(text, "### Goal over time") == [
        f"- 19 Nov, before session 1: {ANSWERS['goal']}",
        f"  - Why: {ANSWERS['why_now']}",
        "- 4 Dec, before session 2: changed it to: Lead shorter ward meetings",
        "  - Why: They run well over an hour",
    ]
    assert section(text, "### Actions and how they went") == [
        "- Book a 1:1 with each band 6 (agreed 24 Nov, after session 1; by Fri 27 Nov): partly (check-in, 1 Dec)"
        " → not yet (follow-up, 4 Dec) — past its date",
        "  - What got in the way (4 Dec): Rota gaps all month",
        "  - What they'll try now (4 Dec): Ask the matron to free an hour",
        "- Draft a shorter agenda (agreed 24 Nov, after session 1; by Tue 8 Dec): done (check-in, 1 Dec)",
        "- **What might get in the way** (24 Nov, after session 1): Night shifts make it hard to catch people",
        "- **How they'll get past it** (24 Nov, after session 1): Ask the deputy to cover the handover",
    ]
    assert section(text, "### Scaling trend") == [
        f"- Scaling: 4 → 4 → 7 → 5  {sparkline([4, 4, 7, 5])}",
        "- Readings: 4 (19 Nov, pre-session) → 4 (24 Nov, post-session) → 7 (1 Dec, check-in) → 5 (4 Dec, follow-up)",
    ]
    assert section(text, "### Exceptions, strengths and role models") == [
        f"- **A time it went well** (19 Nov, before session 1): {LATER['exception']}",
        f"- **Strengths** (19 Nov, before session 1): {LATER['strengths']}",
        f"- **Role models** (19 Nov, before session 1): {LATER['role_model']}",
    ]
    assert section(text, "### Notes from check-ins") == ["- 1 Dec, What helped: Preparing the agenda the night before",
                                                         "- 1 Dec, For you: I'm feeling more confident"]
    assert section(text, "### Journal entries they shared") == ["- 2 Dec, Journal entry: Proud of how I chaired today"]
    assert section(text, "## Safety events since the last session") == ["None."]
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Digest for Alex Coach: Sam Jones", "## For session 2: what they said before it",
                        "## History", "### Goal over time", "### Actions and how they went", "### Scaling trend",
                        "### Exceptions, strengths and role models", "### Notes from check-ins",
                        "### Journal entries they shared", "## Safety events since the last session"]
    assert "restructure" not in text


async def test_keeping_the_goal_shows_as_kept_with_the_reason(harness: Harness) -> None:
    clock = await session_one_sent(harness, private=())
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    await harness.prompt("follow_up")
    await harness.say("Steady")
    await harness.press("Keep it")
    await harness.say("It still matters most to the team")
    await harness.press("6")
    await harness.say("/skip")
    await harness.say("/skip")
    await harness.say("Handling interruptions")
    await harness.press("Send to Alex Coach")

    text = digest_of(harness).text
    assert "- **The goal**: Keep it" in text and "- **Why keep it**: It still matters most to the team" in text
    assert section(text, "### Goal over time")[2:] == ["- 4 Dec, before session 2: kept the goal",
                                                       "  - Why: It still matters most to the team"]


async def test_a_private_answer_never_appears_in_the_text_or_the_chart(harness: Harness) -> None:
    clock = await session_one_sent(harness, private=("Anything else", "Scaling", "Role model"))
    await checkin(harness, clock, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "6", "A calmer rota", "/skip")
    # A follow-up still at its review has been sent nowhere: none of it shows, and it isn't counted as kept back.
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    await harness.prompt("follow_up")
    for answer in ("A rough week, honestly", "keep it", "/skip"):
        await harness.say(answer)
    await harness.press("3")
    await harness.say("/skip")
    await harness.say("Talk about my manager")

    digest = digest_of(harness)
    with harness.app.db.connect() as conn:
        private = [a.text or "" for a in store.answers_of(conn, harness.coachee_id) if not a.shared]
    assert LATER["anything_else"] in private and LATER["role_model"] in private and "A rough week, honestly" in private
    for text in private:
        if not text.isdigit():  # the readings: checked below, as numbers appear in dates
            assert text not in digest.text
    assert section(digest.text, "## For session 2: what they said before it") == [
        "Sam hasn't shared answers for this session yet."]
    assert "Talk about my manager" not in digest.text and "rough week" not in digest.text
    assert [r.value for r in digest.readings] == [6]  # not the 4 kept private, nor the unsent 3
    assert section(digest.text, "### Scaling trend") == [
        f"- Scaling: 6  {sparkline([6])}", "- Readings: 6 (1 Dec, check-in)", "Sam kept 1 reading private."]
    assert "4 (19 Nov" not in digest.text and "3 (4 Dec" not in digest.text
    assert digest.text.count("Sam kept 1 answer private.") == 1  # the role model; anything else is session 1's own
    assert digest.chart_alt == "Scaling chart, 1 to 10, 1 reading: 6 on 1 Dec (check-in). " \
                               "Sessions: 1 on 24 Nov, 2 on 8 Dec."
    axes = chart_figure(digest.readings, zone="Europe/London", words=WORDS.chart, sources=WORDS.sources).axes[0]
    assert [t.get_text() for t in axes.texts] == ["6"]


async def test_an_action_status_kept_private_is_not_read_from_the_actions_table(harness: Harness) -> None:
    clock = await session_one_sent(harness, private=())
    clock.now = SESSION_ONE + timedelta(hours=2)
    await record_actions(harness, [("Book a 1:1 with each band 6", "friday"), ("Draft a shorter agenda", "in 2 weeks")])
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    await harness.prompt("follow_up")
    await harness.say("Busy")
    await harness.press("Not yet")
    await harness.say("Rota gaps all month")
    await harness.say("/skip")  # what to try now
    await harness.press("Done")
    await harness.say("/skip")  # what helped
    await harness.say("keep it")
    await harness.say("/skip")  # why keep it
    await harness.press("5")
    await harness.say("/skip")  # strengths since
    await harness.say("/skip")  # the role model
    await harness.say("Practise opening the meeting")
    with harness.app.db.connect() as conn:
        first, second = store.actions_of(conn, harness.coachee_id)
    assert (first.status, second.status) == ("not_yet", "done")
    for question in (f"action_status.{first.id}", f"action_obstacle.{first.id}"):
        await harness.press("Keep one private")
        await harness.say(payload=review_payload(question))
    await harness.press("Send to Alex Coach")

    text = digest_of(harness).text
    actions = section(text, "### Actions and how they went")
    assert actions[0] == "- Book a 1:1 with each band 6 (agreed 24 Nov, after session 1; by Fri 27 Nov): kept private"
    assert actions[1] == ("- Draft a shorter agenda (agreed 24 Nov, after session 1; by Tue 8 Dec): "
                          "done (follow-up, 4 Dec)")
    assert actions[-1] == "Sam kept 2 answers private."
    assert "not yet" not in text.lower() and "Rota gaps" not in text
    assert section(text, "## For session 2: what they said before it")[1:3] == [
        "- **Since the last session**: Busy", "- **Actions**: Draft a shorter agenda: Done"]
    assert "- **From this session**: Practise opening the meeting" in text
    assert "Sam kept 2 answers private." in section(text, "## For session 2: what they said before it")
    assert f"- Scaling: 4 → 4 → 5  {sparkline([4, 4, 5])}" in text


async def test_a_coachee_who_declined_to_share_shows_nothing_of_theirs(harness: Harness) -> None:
    harness.use_clock(Clock(START))
    await onboard(harness, share=False)
    await answer_up_to_review(harness)
    book_sessions(harness)
    await record_actions(harness, [("Book a 1:1 with each band 6", "friday")], share=None)
    harness.use_clock(Clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))
    await harness.say("[stress] it's all too much this week")

    digest = digest_of(harness)
    text = digest.text
    assert "Sam chose not to share their answers with you, so nothing of theirs is shown here." in text
    for answer in [*ANSWERS.values(), *LATER.values(), "Book a 1:1", "all too much"]:
        assert answer not in text
    assert digest.readings == () and digest.chart_png is None and digest.chart_alt is None and "Scaling" not in text
    assert "- Session 2: Tuesday 8 December 2026, 10:00 (Europe/London)" in text
    assert "- 25 Nov 09:00, stress tier: pointed to stress support; coaching paused until they resume" in text


async def test_safety_events_since_the_last_session_give_tier_date_and_routing_never_the_words(
    harness: Harness,
) -> None:
    clock = Clock(START)
    harness.use_clock(clock)
    await onboard(harness)
    await harness.say("[check] I've been low")
    await harness.say("no")
    book_sessions(harness)
    clock.now = datetime(2026, 11, 30, 20, 15, tzinfo=UTC)
    await harness.say("[crisis] I can't go on like this")
    clock.now += timedelta(minutes=5)
    await harness.say("are you still there")
    await harness.say("hello?")
    clock.now = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    await harness.say("/resume Sam", user="c1")

    text = digest_of(harness).text
    assert section(text, "## Safety events since the last session") == [
        "- 30 Nov 20:15, crisis tier: shown crisis services; coaching put on hold and you were alerted",
        "- 30 Nov 20:20, crisis tier: wrote while on hold; shown crisis services again (2 times)",
        "- 1 Dec 08:30: you lifted the hold",
    ]  # the check before session 1 was before the last session
    for words in ("can't go on", "still there", "hello?", "I've been low"):
        assert words not in text
    before = digest_of(harness, now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)).text
    assert section(before, "## Safety events")[:2] == [
        "- 19 Nov 12:00, check tier: asked the direct safety question",
        "- 19 Nov 12:00, check tier: safety question cleared; coaching carried on",
    ]


async def test_saying_an_alert_was_a_mistake_is_marked_on_the_hold_and_shown_never_in_their_words(
    harness: Harness,
) -> None:
    clock = Clock(START)
    harness.use_clock(clock)
    await onboard(harness)
    book_sessions(harness)
    clock.now = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    await harness.say("[emergency] I've taken something")  # a first hold, lifted; never said to be a mistake
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    await harness.say("/resume Sam", user="c1")
    clock.now = datetime(2026, 11, 30, 20, 15, tzinfo=UTC)
    await harness.say("[crisis] I can't go on like this")
    clock.now = datetime(2026, 11, 30, 20, 40, tzinfo=UTC)
    await harness.say("Honestly I didn't mean it like that, I was talking about a film")
    clock.now = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    await harness.say("it was a mistake, really")  # said again: the first time stands

    text = digest_of(harness).text
    assert section(text, "## Safety events since the last session") == [
        "- 25 Nov 20:00, emergency tier: told to call 999 or go to A&E and shown crisis services; coaching put on "
        "hold and you were alerted",
        "- 26 Nov 09:00: you lifted the hold",
        "- 30 Nov 20:15, crisis tier: shown crisis services; coaching put on hold and you were alerted; they later "
        "said it was a mistake (30 Nov 20:40)",
    ]
    for words in ("film", "didn't mean", "taken something", "can't go on", "really"):
        assert words not in text

    with harness.app.db.begin() as conn:
        exported = json.loads(export_coachee(conn, harness.coachee_id, now=clock.now).to_json())
        assert [(e["action"], e["said_mistake_at"]) for e in exported["safety_events"]] == [
            ("emergency_hold", None), ("on_hold_reply_lifted", None),
            ("crisis_hold", datetime(2026, 11, 30, 20, 40, tzinfo=UTC).isoformat().replace("+00:00", "Z"))]
        erase_coachee(conn, harness.coachee_id)
    with harness.app.db.connect() as conn:
        events = conn.execute(select(metadata.tables["safety_events"])).mappings().all()
    (marked,) = [e for e in events if e["said_mistake_at"] is not None]
    assert marked["coachee_id"] is None and marked["action"] == "crisis_hold"
    assert (marked["said_mistake_at"].hour, marked["said_mistake_at"].minute) == (0, 0)  # the day, not the minute


async def test_a_mistake_with_no_hold_behind_it_marks_nothing(harness: Harness) -> None:
    await onboard(harness)
    with harness.app.db.begin() as conn:
        assert store.mark_said_mistake(conn, coachee_id=harness.coachee_id, at=START) is False
    await harness.say("[stress] it's all too much")
    with harness.app.db.begin() as conn:
        assert store.mark_said_mistake(conn, coachee_id=harness.coachee_id, at=START) is False
        assert [e.said_mistake_at for e in store.safety_events_of(conn, harness.coachee_id, since=None)] == [None]


# the chart

def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert (length, kind) == (13, b"IHDR")
    return width, height


async def test_the_chart_is_a_png_a_phone_can_show_with_sources_sessions_and_alt_text(harness: Harness) -> None:
    clock = await session_one_sent(harness, private=())
    clock.now = SESSION_ONE + timedelta(hours=2)
    await record_actions(harness, [("Draft a shorter agenda", "in 2 weeks")], scale="5")
    await checkin(harness, clock, datetime(2026, 12, 3, 9, 0, tzinfo=UTC), "9", "Shorter agendas", "Done", "/skip",
                  "/skip")

    digest = digest_of(harness)
    assert digest.chart_png is not None
    width, height = png_size(digest.chart_png)
    assert width >= 800 and height >= 400
    assert imread(io.BytesIO(digest.chart_png)).shape[:2] == (height, width)
    assert [(r.at, r.value, r.source) for r in digest.readings] == [
        (START, 4, "pre_session"), (SESSION_ONE + timedelta(hours=2), 5, "post_session"),
        (datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 9, "checkin")]
    # The alt text says every reading with its date and source, and the sessions.
    assert digest.chart_alt == (
        "Scaling chart, 1 to 10, 3 readings oldest first: 4 on 19 Nov (pre-session), 5 on 24 Nov (post-session), "
        "9 on 3 Dec (check-in). Sessions: 1 on 24 Nov, 2 on 8 Dec.")

    sessions = [SessionMark(number=1, at=SESSION_ONE), SessionMark(number=2, at=SESSION_TWO)]
    figure = chart_figure(digest.readings, sessions, zone="Europe/London", words=WORDS.chart, sources=WORDS.sources)
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    shown = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    assert min(t.get_fontsize() for t in shown) >= MIN_FONT_SIZE >= 11
    assert {t.get_text() for t in shown} >= {"4", "5", "9", "Session 1", "Session 2", "Scaling (1 to 10)"}
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["Pre-session", "Post-session", "Check-in"]
    assert [t.get_text() for t in axes.texts] == ["4", "5", "9"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["19 Nov", "24 Nov", "3 Dec", "8 Dec"]
    # Session 1 and the reading after it share a day: the line is drawn before the reading, not through it.
    places = layout(digest.readings, sessions, zone="Europe/London")
    session_lines = sorted(line.get_xdata()[0] for line in axes.lines if line.get_linestyle() == "--")
    assert session_lines == list(places.sessions)
    assert places.sessions[0] < places.readings[1]


def test_same_day_readings_are_drawn_side_by_side_in_the_order_they_were_given() -> None:
    day = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    readings = [Reading(at=datetime(2026, 11, 19, 12, 0, tzinfo=UTC), value=4, source="pre_session"),
                Reading(at=day + timedelta(hours=6), value=5, source="follow_up"),
                Reading(at=day, value=5, source="checkin")]  # the same day, the same value, given earlier
    places = layout(readings, zone="Europe/London")
    assert places == layout(readings, zone="Europe/London")  # deterministic
    assert places.readings[2] < places.readings[1]  # in time order
    assert places.readings[1] - places.readings[2] == pytest.approx(places.span * SLOT)

    figure = chart_figure(readings, zone="Europe/London", words=WORDS.chart, sources=WORDS.sources)
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    marks = {c.get_label(): axes.transData.transform(c.get_offsets()[0]) for c in axes.collections}
    apart = abs(marks["Follow-up"][0] - marks["Check-in"][0])
    assert apart > 20  # pixels: more than a marker's width, so neither hides the other
    assert marks["Follow-up"][1] == pytest.approx(marks["Check-in"][1])


def test_session_dates_come_before_readings_dates_and_crowded_sessions_are_named_short() -> None:
    readings = [Reading(at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC), value=3, source="pre_session"),
                Reading(at=datetime(2027, 2, 1, 9, 0, tzinfo=UTC), value=8, source="final_review")]
    sessions = [SessionMark(number=n, at=at) for n, at in ((1, SESSION_ONE), (2, SESSION_ONE + timedelta(days=7)),
                                                            (3, datetime(2027, 2, 1, 8, 0, tzinfo=UTC)))]
    figure = chart_figure(readings, sessions, zone="Europe/London", words=WORDS.chart, sources=WORDS.sources)
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    # The reading the day before session 1 gives way: the session's date is the one shown. Session 2, a week on,
    # is too close to date without the dates running into each other; its line and name mark it.
    assert [t.get_text() for t in axes.get_xticklabels()] == ["24 Nov", "1 Feb"]
    # Sessions a week apart over a ten-week chart are too close to name in full, so all are named short.
    shown = {t.get_text() for t in figure.findobj(Text) if t.get_visible()}
    assert {"S1", "S2", "S3"} <= shown and "Session 1" not in shown
    places = layout(readings, sessions, zone="Europe/London")
    assert places.sessions[2] < places.readings[1]  # session 3 at 08:00, the final review after it


def test_the_chart_dates_each_reading_on_the_coachees_own_clock() -> None:
    # 23:30 UTC on 19 November is already the 20th in Auckland.
    late = Reading(at=datetime(2026, 11, 19, 23, 30, tzinfo=UTC), value=10, source="checkin")
    axes = chart_figure([late], zone="Pacific/Auckland", words=WORDS.chart, sources=WORDS.sources).axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["20 Nov"]
    assert [t.get_text() for t in axes.texts] == ["10"]
    assert chart_alt([late], zone="Pacific/Auckland", words=WORDS.chart, sources=WORDS.sources) == (
        "Scaling chart, 1 to 10, 1 reading: 10 on 20 Nov (check-in).")
    with pytest.raises(ValueError, match="no readings"):
        chart_png([], words=WORDS.chart, sources=WORDS.sources)


# sending and writing it

def config_file(config: Config, tmp_path: Path) -> str:
    cfg = tmp_path / "coachbot.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    return str(cfg)


async def test_coachbot_digest_send_queues_one_digest_with_the_chart_and_its_alt_text_for_the_coach(
    harness: Harness, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await session_one_sent(harness)
    cfg = config_file(config, tmp_path)
    chart = tmp_path / "chart.png"

    assert main(["--config", cfg, "digest", "--coachee", str(harness.coachee_id), "--send", "--chart",
                 str(chart)]) == 0
    printed = capsys.readouterr().out
    with harness.app.db.connect() as conn:
        rows = [r for r in store.outbox_rows(conn, statuses=["pending"]) if r.kind == "digest"]
    (row,) = rows
    assert (row.transport, row.user_id, row.coachee_id) == ("memory", "c1", harness.coachee_id)
    reply = Reply.model_validate_json(row.payload)
    assert reply.text == printed and ANSWERS["goal"] in printed and LATER["anything_else"] not in printed
    assert reply.attachment is not None
    assert (reply.attachment.filename, reply.attachment.media_type) == ("scaling.png", "image/png")
    # the command runs on today's date, so which sessions are drawn depends on it; the reading does not
    assert reply.attachment.alt_text is not None
    assert reply.attachment.alt_text.startswith("Scaling chart, 1 to 10, 1 reading: 4 on 19 Nov (pre-session). ")
    assert chart.read_bytes() == reply.attachment.data and png_size(chart.read_bytes())[0] >= 800
    assert os.stat(chart).st_mode & 0o777 == 0o600

    harness.app.outbox.clock = lambda: row.next_attempt_at
    await harness.app.outbox.deliver_due()
    (sent,) = [r for r in harness.transport.replies_to("c1") if r.attachment is not None]
    assert sent.attachment == reply.attachment


async def test_a_chart_that_cannot_be_written_sends_nothing_and_says_why(
    harness: Harness, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await session_one_sent(harness)
    cfg = config_file(config, tmp_path)
    for target in (tmp_path / "no-such-folder" / "chart.png", tmp_path):
        assert main(["--config", cfg, "digest", "--coachee", str(harness.coachee_id), "--send", "--chart",
                     str(target)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith(f"coachbot digest: can't write the chart to {target}: ")
        assert len(err.strip().splitlines()) == 1
    with harness.app.db.connect() as conn:
        assert [r for r in store.outbox_rows(conn, statuses=["pending"]) if r.kind == "digest"] == []

    assert main(["--config", cfg, "digest", "--coachee", "999", "--chart", str(tmp_path / "x.png")]) == 2
    assert capsys.readouterr().err == "coachbot: no coachee with id 999\n"
    assert not (tmp_path / "x.png").exists()


async def test_without_readings_the_digest_is_sent_as_text_alone_and_no_chart_is_written(
    harness: Harness, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await onboard(harness, share=False)
    cfg = config_file(config, tmp_path)
    chart = tmp_path / "chart.png"
    assert main(["--config", cfg, "digest", "--coachee", str(harness.coachee_id), "--send", "--chart",
                 str(chart)]) == 0
    out, err = capsys.readouterr()
    assert "chose not to share" in out and not chart.exists()
    assert err == (f"coachbot digest: coachee {harness.coachee_id} has shared no scaling readings yet, so there is no "
                   f"chart and nothing was written to {chart}\n")
    with harness.app.db.connect() as conn:
        (row,) = [r for r in store.outbox_rows(conn, statuses=["pending"]) if r.kind == "digest"]
    reply = Reply.model_validate_json(row.payload)
    assert reply.attachment is None and "chose not to share" in reply.text
