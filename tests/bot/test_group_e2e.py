"""A peer coaching group of three, end to end with a hand-moved clock: the coach sets it up in chat, the members
agree to the ground rules, and four sessions run with preparation before each, commitments after, reflection
before the next, the coach's digest the day before, and the close. No member ever receives another's answers
but the commitments one of them chose to share."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.config import Config
from bot.storage import groups as gstore
from bot.storage import jobs as job_store
from bot.storage import schema as t
from bot.types import Reply
from tests.bot.test_groups import GROUP_FLOWS, LEAD, RULES, GroupTest, add_lead, add_person
from tests.conftest import Clock, MarkerScreener, make_harness

LONDON = ZoneInfo("Europe/London")
MEMBERS = {"kim": "Kim Lee", "ash": "Ash Patel", "jo": "Jo Brown"}
# Sessions on Tuesdays at 10:00 London time, every 14 days; the UK clocks go back on 25 October.
SESSIONS = [datetime(2026, 10, 6, 10, 0, tzinfo=LONDON) + timedelta(days=14 * k) for k in range(4)]


def said(user: str, state: str) -> str:
    """What each member answers to each question: their own words, marked as theirs."""
    return {"challenge": f"{user}-challenge: the handover overruns", "want": f"{user}-want: questions, not advice",
            "tried": f"{user}-tried: a shorter template", "commitments": f"{user}-commitments: ask two colleagues",
            "share_with_group": "yes" if user == "kim" else "no", "reflected": f"{user}-reflected: I jump in",
            "acted": f"{user}-acted: I asked first", "agree": "yes"}[state]


async def test_a_group_of_three_runs_through_four_sessions(config: Config, screener: MarkerScreener) -> None:
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    clock = Clock(datetime(2026, 9, 28, 9, 0, tzinfo=LONDON))
    h.use_clock(clock)
    lead = add_lead(h)
    ids = {user: add_person(h, user, name) for user, name in MEMBERS.items()}

    # The coach sets the group up in chat; the operator adds three colleagues from other caseloads; each agrees.
    created = await h.texts("/groupnew Ward leaders from 2026-10-06T10:00", user=LEAD)
    assert "every 14 days, the first session on Tue 6 Oct 2026, 10:00" in created
    with h.app.db.connect() as conn:
        (group,) = gstore.list_groups(conn, coach_id=lead)
    g = GroupTest(h=h, clock=clock, lead_id=lead, group=group, ids=ids)
    for user in MEMBERS:
        await g.invite(user)
        assert RULES in g.texts_to(user)[-1]
    for user in MEMBERS:
        await g.member(user, "yes")
    assert "1. Tue 6 Oct 2026, 10:00: Kim Lee brings a challenge" in g.texts_to(LEAD)[-1]

    # Four sessions, driven by the scheduler; members answer whatever the group asks them as it comes.
    sent: list[tuple[datetime, str, Reply]] = []
    while True:
        with h.app.db.connect() as conn:
            nxt = job_store.next_due(conn)
        if nxt is None:
            break
        clock.now = max(clock.now, nxt)
        before = len(h.transport.sent)
        await h.app.scheduler.run_due()
        await h.app.outbox.deliver_due()
        sent += [(clock.now, m.key.user, m.reply) for m in h.transport.sent[before:]]
        for user in MEMBERS:
            while (position := g.position(user)) is not None and position[0] in GROUP_FLOWS:
                before = len(h.transport.sent)
                await g.member(user, said(user, position[1]))
                sent += [(clock.now, m.key.user, m.reply) for m in h.transport.sent[before:]]

    def when(user: str, marker: str) -> list[datetime]:
        return [at.astimezone(LONDON) for at, to, reply in sent if to == user and marker in reply.text]

    presenters = list(MEMBERS)
    for n, user in enumerate(presenters):
        session = SESSIONS[n]
        assert when(user, "it's your turn to bring a challenge") == [session - timedelta(days=3)]
        assert when(user, "What will you do before the next session?") == [session + timedelta(hours=2)]
        assert when(user, "Since you brought your challenge, what have you reflected on?") == [
            SESSIONS[n + 1] - timedelta(days=3)]
        assert all(at.time() == time(10, 0) for at in when(user, "it's your turn"))  # across the clock change

    # The coach's digest the day before each session: the feedback that opens it, then the challenge.
    digests = [(at, reply.text) for at, to, reply in sent if to == LEAD and reply.markdown]
    openings = [(at.astimezone(LONDON), text) for at, text in digests if text.startswith("# Ward leaders")]
    assert [at for at, _ in openings] == [s - timedelta(days=1) for s in SESSIONS]
    texts = ["".join(text for at, text in digests if at.astimezone(LONDON) == s - timedelta(days=1))
             for s in SESSIONS]
    assert "## Kim Lee brings a challenge" in texts[0] and "Feedback" not in texts[0]
    for n in (1, 2, 3):
        previous, presenter = presenters[n - 1], presenters[n] if n < 3 else None
        text = texts[n]
        marks = [text.index(f"{previous}-reflected"), text.index(f"{previous}-acted"),
                 text.index(f"{previous}-commitments")]
        assert marks == sorted(marks)
        if presenter is not None:
            assert text.index(f"{presenter}-challenge") > marks[-1] and f"{presenter}-tried" in text
        else:
            assert "## The closing session" in text
        others = [u for u in MEMBERS if u not in (previous, presenter)]
        assert not any(f"{other}-" in text for other in others)
    assert "- (Kim shared this with the group.)" in texts[1]
    assert "That was the closing session of Ward leaders" in h.transport.texts_to(LEAD)[-1]

    # Every message to a member, delivered or not: none carries another member's answers, but for the
    # commitments Kim chose to share.
    with h.app.db.connect() as conn:
        rows = conn.execute(select(t.outbox.c.user_id, t.outbox.c.payload)).all()
    for user in MEMBERS:
        payloads = [payload for to, payload in rows if to == user]
        for other in MEMBERS:
            if other == user:
                continue
            leaked = [p for p in payloads if f"{other}-" in p]
            if other == "kim":
                assert len(leaked) == 1 and "kim-commitments" in leaked[0] and "kim-challenge" not in leaked[0]
            else:
                assert leaked == []

    # All four sessions happened; nothing is left to do.
    with h.app.db.connect() as conn:
        sessions = conn.execute(select(t.group_sessions.c.number, t.group_sessions.c.status,
                                       t.group_sessions.c.presenter_id)
                                .order_by(t.group_sessions.c.number)).all()
        statuses = {j.status for j in job_store.jobs_of(conn) if j.group_session_id is not None}
    assert [tuple(s) for s in sessions] == [(1, "done", ids["kim"]), (2, "done", ids["ash"]), (3, "done", ids["jo"]),
                                           (4, "done", None)]
    assert statuses == {"done"}
    h.app.db.dispose()
