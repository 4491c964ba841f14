"""The coach's digest, built from real flows on a real SQLite file: what it covers, what it must never show
(a private answer, anything from a coachee who declined to share, the words behind a safety event), the
scaling chart as a PNG, and `coachbot digest --send`."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bot.chart import LINE_COLOUR, Reading, chart_figure
from bot.cli import main
from bot.config import Config
from bot.digest import Digest, build_digest, sparkline
from bot.storage import store
from bot.types import Reply
from tests.conftest import Clock, Harness, onboard
from tests.flows.test_post_session import record_actions
from tests.flows.test_pre_session import ANSWERS, LATER, answer_up_to_review

# Thursday 19 November 2026: session 1 is on Tuesday 24th, session 2 on Tuesday 8 December.
START = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
SESSION_ONE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SESSION_TWO = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
DIGEST_TIME = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def digest_of(h: Harness, *, now: datetime = DIGEST_TIME, chart: bool = True) -> Digest:
    with h.app.db.connect() as conn:
        return build_digest(conn, coachee_id=h.coachee_id, flows=h.app.flows.registry, now=now, chart=chart,
                            default_timezone="Europe/London")


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


def review_payload(question: str) -> str:
    """The review's "keep private" pick for one answer, by its question (two actions share the heading)."""
    return f"follow_up:review:{question}"


async def test_the_digest_covers_every_section_in_the_coachees_time_zone(harness: Harness) -> None:
    clock = await session_one_sent(harness)
    clock.now = SESSION_ONE + timedelta(hours=2)
    await record_actions(harness, [("Book a 1:1 with each band 6", "friday"), ("Draft a shorter agenda", "in 2 weeks")])
    await checkin(harness, clock, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "7", "Preparing the agenda the night before",
                  "Partly", "Two of them are on nights", "Done", "/skip", "I'm feeling more confident")
    clock.now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    await harness.say("/journal")
    await harness.say("Proud of how I chaired today")
    await harness.press("Yes")

    text = digest_of(harness).text
    assert text.startswith("# Digest for Alex Coach: Sam Jones\n")
    assert "- Session 2: Tuesday 8 December 2026, 10:00 (Europe/London)" in text
    assert "- Last session: 1, Tuesday 24 November 2026" in text
    assert f"- **Goal** (19 Nov): {ANSWERS['goal']}" in text
    assert f"- **Why now** (19 Nov): {ANSWERS['why_now']}" in text
    assert f"- **What they want from this session** (19 Nov): {ANSWERS['session_want']}" in text
    assert f"- **How they'll know it helped** (19 Nov): {ANSWERS['know_useful']}" in text
    assert f"- **Preferred future** (19 Nov): {ANSWERS['miracle']}" in text
    assert f"- **Costs** (19 Nov): {ANSWERS['costs']}" in text
    # before session 1, after it, and the check-in
    assert "Scaling: 4 → 4 → 7" in text and "- Readings: 4 (19 Nov) → 4 (24 Nov) → 7 (1 Dec)" in text
    assert f"- **A time it went well** (19 Nov): {LATER['exception']}" in text
    assert f"- **Strengths** (19 Nov): {LATER['strengths']}" in text
    assert f"- **Role models** (19 Nov): {LATER['role_model']}" in text
    assert "- Book a 1:1 with each band 6 (by Fri 27 Nov): partly — past its date" in text
    assert "  - What got in the way (1 Dec): Two of them are on nights" in text
    assert "- Draft a shorter agenda (by Tue 8 Dec): done" in text
    assert "- 1 Dec, What helped: Preparing the agenda the night before" in text
    assert "- 1 Dec, For you: I'm feeling more confident" in text
    assert "## Journal entries they shared\n- 2 Dec, Journal entry: Proud of how I chaired today" in text
    assert "## Safety events since the last session\nNone." in text
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == ["## Their goal", "## Scaling trend", "## Exceptions, strengths and role models", "## Actions",
                        "## Notes from check-ins", "## Journal entries they shared",
                        "## Safety events since the last session", "## Anything else"]
    # The kept answer is named only as a count, in its own section.
    assert text.endswith("## Anything else\nSam kept 1 answer private.\n")
    assert LATER["anything_else"] not in text and "restructure" not in text


async def test_a_private_answer_never_appears_in_the_text_or_the_chart(harness: Harness) -> None:
    clock = await session_one_sent(harness, private=("Anything else", "Scaling", "Role model"))
    await checkin(harness, clock, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "6", "A calmer rota", "/skip")
    # A follow-up still at its review has been sent nowhere: none of it shows, and it isn't counted as kept back.
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    await harness.prompt("follow_up")
    for answer in ("A rough week, honestly", "keep it"):
        await harness.say(answer)
    await harness.press("3")
    await harness.say("Talk about my manager")

    digest = digest_of(harness)
    with harness.app.db.connect() as conn:
        private = [a.text or "" for a in store.answers_of(conn, harness.coachee_id) if not a.shared]
    assert LATER["anything_else"] in private and LATER["role_model"] in private and "A rough week, honestly" in private
    for text in private:
        if not text.isdigit():  # the readings: checked below, as numbers appear in dates
            assert text not in digest.text
    assert "Talk about my manager" not in digest.text and "rough week" not in digest.text
    assert [r.value for r in digest.readings] == [6]  # not the 4 kept private, nor the unsent 3
    assert "Scaling: 6" in digest.text and "Sam kept 1 reading private." in digest.text
    assert "→ 4" not in digest.text and "4 (19 Nov)" not in digest.text and "3 (4 Dec)" not in digest.text
    assert "## Exceptions, strengths and role models" in digest.text
    assert digest.text.count("Sam kept 1 answer private.") == 2  # role model, anything else
    axes = chart_figure(digest.readings, zone="Europe/London").axes[0]
    assert np.asarray(axes.lines[0].get_ydata()).tolist() == [6]
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
    assert "- Book a 1:1 with each band 6 (by Fri 27 Nov): kept private" in text
    assert "not yet" not in text and "Rota gaps" not in text
    assert "- Draft a shorter agenda (by Tue 8 Dec): done" in text
    assert "## Actions" in text and "Sam kept 2 answers private." in text
    assert "- **Since the last session** (4 Dec): Busy" in text
    assert "- **What they want from this session** (4 Dec): Practise opening the meeting" in text
    assert "Scaling: 4 → 4 → 5" in text


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
    assert digest.readings == () and digest.chart_png is None and "Scaling" not in text
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
    events = text.split("## Safety events since the last session\n")[1].split("\n\n")[0].splitlines()
    assert events == [
        "- 30 Nov 20:15, crisis tier: shown crisis services; coaching put on hold and you were alerted",
        "- 30 Nov 20:20, crisis tier: wrote while on hold; shown crisis services again (2 times)",
        "- 1 Dec 08:30: you lifted the hold",
    ]  # the check before session 1 was before the last session
    for words in ("can't go on", "still there", "hello?", "I've been low"):
        assert words not in text
    before = digest_of(harness, now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)).text
    assert "## Safety events\n- 19 Nov 12:00, check tier: asked the direct safety question" in before
    assert "- 19 Nov 12:00, check tier: safety question cleared; coaching carried on" in before


async def test_the_chart_is_a_valid_png_that_shows_every_reading(harness: Harness) -> None:
    clock = await session_one_sent(harness, private=())
    await checkin(harness, clock, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), "6", "A calmer rota", "/skip")
    await checkin(harness, clock, datetime(2026, 12, 3, 9, 0, tzinfo=UTC), "9", "Shorter agendas", "/skip")

    digest = digest_of(harness)
    png = digest.chart_png
    assert png is not None
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert (length, kind, width, height) == (13, b"IHDR", 480, 240)
    pixels = imread(io.BytesIO(png))
    assert pixels.shape[:2] == (240, 480)
    line = tuple(int(LINE_COLOUR[i:i + 2], 16) / 255 for i in (1, 3, 5))
    assert ((abs(pixels[:, :, :3] - line) < 0.02).all(axis=2)).sum() > 100  # the line and its markers are drawn

    assert [(r.at, r.value) for r in digest.readings] == [
        (START, 4), (datetime(2026, 11, 26, 9, 0, tzinfo=UTC), 6), (datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 9)]
    axes = chart_figure(digest.readings, zone="Europe/London").axes[0]
    assert np.asarray(axes.lines[0].get_ydata()).tolist() == [4, 6, 9]
    assert [t.get_text() for t in axes.texts] == ["4", "6", "9"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["19 Nov", "26 Nov", "3 Dec"]
    assert axes.get_ylim()[0] < 1 and axes.get_ylim()[1] > 10
    assert f"Scaling: 4 → 6 → 9  {sparkline([4, 6, 9])}" in digest.text


def test_the_chart_dates_each_reading_on_the_coachees_own_clock() -> None:
    # 23:30 UTC on 19 November is already the 20th in Auckland.
    late = Reading(at=datetime(2026, 11, 19, 23, 30, tzinfo=UTC), value=10)
    axes = chart_figure([late], zone="Pacific/Auckland").axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["20 Nov"]
    assert [t.get_text() for t in axes.texts] == ["10"]
    with pytest.raises(ValueError, match="no readings"):
        chart_figure([])


async def test_coachbot_digest_send_queues_one_digest_with_the_chart_for_the_coach(
    harness: Harness, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await session_one_sent(harness)
    cfg = tmp_path / "coachbot.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")

    assert main(["--config", str(cfg), "digest", "--coachee", str(harness.coachee_id), "--send"]) == 0
    printed = capsys.readouterr().out
    with harness.app.db.connect() as conn:
        rows = [r for r in store.outbox_rows(conn, statuses=["pending"]) if r.kind == "digest"]
    (row,) = rows
    assert (row.transport, row.user_id, row.coachee_id) == ("memory", "c1", harness.coachee_id)
    reply = Reply.model_validate_json(row.payload)
    assert reply.text == printed and ANSWERS["goal"] in printed and LATER["anything_else"] not in printed
    assert reply.attachment is not None
    assert (reply.attachment.filename, reply.attachment.media_type) == ("scaling.png", "image/png")
    assert reply.attachment.data[:8] == b"\x89PNG\r\n\x1a\n"

    harness.app.outbox.clock = lambda: row.next_attempt_at
    await harness.app.outbox.deliver_due()
    (sent,) = [r for r in harness.transport.replies_to("c1") if r.attachment is not None]
    assert sent.attachment == reply.attachment


async def test_without_readings_the_digest_is_sent_as_text_alone(
    harness: Harness, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    await onboard(harness, share=False)
    cfg = tmp_path / "coachbot.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "digest", "--coachee", str(harness.coachee_id), "--send"]) == 0
    with harness.app.db.connect() as conn:
        (row,) = [r for r in store.outbox_rows(conn, statuses=["pending"]) if r.kind == "digest"]
    reply = Reply.model_validate_json(row.payload)
    assert reply.attachment is None and "chose not to share" in reply.text
