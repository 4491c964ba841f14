"""The coach's Monday overview: this week's sessions on each coachee's own clock, who has gone quiet, who is on
hold, paused, unreachable or has left; another coach's caseload never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.caseload import build_caseload, send_caseload
from bot.storage import schema as t
from bot.storage import store
from bot.types import Reply
from flows.stepper import ProfileChange, RecordedAnswer
from tests.conftest import Clock, Harness, onboard

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 20:00 the same Monday in Auckland


async def caseload_of_every_kind(h: Harness) -> dict[str, int]:
    """Sam (the harness coachee, answering yesterday) and one coachee in each other state; returns ids by name."""
    h.use_clock(Clock(MONDAY - timedelta(days=1)))
    await onboard(h)
    await h.say("Lead calmer ward meetings")
    ids = {"Sam Jones": h.coachee_id}
    with h.app.db.begin() as conn:
        def add(name: str, *, days_ago: int, status: str = "active", zone: str = "Europe/London") -> int:
            coachee = store.add_coachee(conn, coach_id=h.coach_id, name=name, at=MONDAY - timedelta(days=days_ago))
            store.apply_profile(conn, coachee.id, [ProfileChange(field="consent_store", value="yes"),
                                                   ProfileChange(field="timezone", value=zone)])
            store.set_coachee_status(conn, coachee.id, status)
            ids[name] = coachee.id
            return coachee.id

        def answered(coachee_id: int, *, days_ago: int) -> None:
            store.add_answers(conn, coachee_id=coachee_id, at=MONDAY - timedelta(days=days_ago), shared=True,
                              answers=[RecordedAnswer(flow="checkin", run_id=f"r{coachee_id}", question="helped",
                                                      text="A quieter week")])

        add("Kim Lee", days_ago=30)  # nothing since joining: quiet
        answered(add("Lee Park", days_ago=40), days_ago=20)  # quiet since 3 November
        answered(add("Ana Ruiz", days_ago=30, zone="Pacific/Auckland"), days_ago=3)
        add("Eve Long", days_ago=2)  # new: not quiet yet
        add("Pat Hold", days_ago=30, status="hold")
        add("Jo Pause", days_ago=30, status="paused")
        left = add("Ali Gone", days_ago=30, status="stopped")
        max_id = add("Max Far", days_ago=30)
        store.add_identity(conn, transport="memory", external_id="u-max", coachee_id=max_id)
        store.set_unreachable(conn, transport="memory", external_id="u-max", at=datetime(2026, 11, 20, 9, tzinfo=UTC))

        other = store.add_coach(conn, name="Other Coach", at=MONDAY)
        theirs = store.add_coachee(conn, coach_id=other.id, name="Rob Elsewhere", at=MONDAY - timedelta(days=30))
        store.set_coachee_status(conn, theirs.id, "hold")

        def session(coachee_id: int, at: datetime, zone: str = "Europe/London") -> int:
            return store.add_session(conn, coachee_id=coachee_id, at=at, timezone=zone, number=None).id

        session(h.coachee_id, datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
        cancelled = session(h.coachee_id, datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
        conn.execute(update(t.sessions).where(t.sessions.c.id == cancelled).values(status="cancelled"))
        session(h.coachee_id, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))  # Sunday night in London: this week
        session(h.coachee_id, datetime(2026, 11, 30, 0, 30, tzinfo=UTC))  # Monday: next week
        session(ids["Ana Ruiz"], datetime(2026, 11, 29, 7, 0, tzinfo=UTC), "Pacific/Auckland")  # Sunday 20:00 there
        session(ids["Ana Ruiz"], datetime(2026, 11, 29, 20, 0, tzinfo=UTC), "Pacific/Auckland")  # Monday 09:00 there
        session(left, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
        session(theirs.id, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    return ids


async def test_each_coachee_lands_in_the_right_group(harness: Harness) -> None:
    ids = await caseload_of_every_kind(harness)
    with harness.app.db.connect() as conn:
        caseload = build_caseload(conn, coach_id=harness.coach_id, now=MONDAY, default_timezone="Europe/London")
    assert [(s.coachee_id, s.number, s.at) for s in caseload.sessions] == [
        (ids["Sam Jones"], 1, datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),
        (ids["Ana Ruiz"], 1, datetime(2026, 11, 29, 7, 0, tzinfo=UTC)),
        (ids["Sam Jones"], 3, datetime(2026, 11, 29, 23, 30, tzinfo=UTC)),
    ]
    assert [(q.coachee_id, q.last_heard) for q in caseload.quiet] == [
        (ids["Kim Lee"], None), (ids["Lee Park"], MONDAY - timedelta(days=20))]
    assert caseload.on_hold == (ids["Pat Hold"],)
    assert caseload.paused == (ids["Jo Pause"],)
    assert caseload.left == (ids["Ali Gone"],)
    assert [(u.coachee_id, u.transport) for u in caseload.unreachable] == [(ids["Max Far"], "memory")]


async def test_the_overview_reads_plainly_in_each_coachees_time(harness: Harness) -> None:
    await caseload_of_every_kind(harness)
    with harness.app.db.connect() as conn:
        text = build_caseload(conn, coach_id=harness.coach_id, now=MONDAY, default_timezone="Europe/London").text
    assert text.startswith("# Your caseload, week of Monday 23 November 2026\n")
    assert ("## Sessions this week\n"
            "- Tue 24 Nov 10:00 (Europe/London): Sam Jones, session 1\n"
            "- Sun 29 Nov 20:00 (Pacific/Auckland): Ana Ruiz, session 1\n"
            "- Sun 29 Nov 23:30 (Europe/London): Sam Jones, session 3\n") in text
    assert ("## Quiet (nothing from them for 14 days or more)\n"
            "- Kim Lee: nothing yet since they were added on 24 Oct\n"
            "- Lee Park: last heard from 3 Nov\n") in text
    assert "## On a safety hold (until you lift it)\n- Pat Hold\n" in text
    assert "## Can't be reached\n- Max Far: Memory since 20 Nov\n" in text
    assert "## Paused (they sounded under strain" in text and "\n- Jo Pause\n" in text
    assert "their request" not in text
    assert text.endswith("## Left the programme\n- Ali Gone\n")
    assert "Rob Elsewhere" not in text and "Eve Long" not in text
    assert "A quieter week" not in text and "Lead calmer" not in text  # names and dates, never their words


async def test_a_quiet_week_says_so_and_the_overview_goes_to_the_coachs_chat(harness: Harness) -> None:
    harness.use_clock(Clock(MONDAY - timedelta(days=1)))
    await onboard(harness)
    await harness.say("Lead calmer ward meetings")
    with harness.app.db.begin() as conn:
        outbox_id = send_caseload(conn, coach_id=harness.coach_id, now=MONDAY, default_timezone="Europe/London")
        lonely = store.add_coach(conn, name="No Chat", at=MONDAY)
        assert send_caseload(conn, coach_id=lonely.id, now=MONDAY) is None
    with harness.app.db.connect() as conn:
        (row,) = [r for r in store.outbox_rows(conn, statuses=["pending"]) if r.kind == "caseload"]
    assert row.id == outbox_id and (row.transport, row.user_id) == ("memory", "c1")
    text = Reply.model_validate_json(row.payload).text
    assert "## Sessions this week\nNone booked.\n" in text
    assert "## Quiet (nothing from them for 14 days or more)\nNobody.\n" in text
    assert "## On a safety hold (until you lift it)\nNobody.\n" in text
    assert "## Can't be reached\nNobody.\n" in text
    assert "Paused" not in text and "Left" not in text
    # Two weeks on without a word from Sam, they are quiet.
    with harness.app.db.connect() as conn:
        later = build_caseload(conn, coach_id=harness.coach_id, now=MONDAY + timedelta(days=14))
    assert [q.coachee_id for q in later.quiet] == [harness.coachee_id]
