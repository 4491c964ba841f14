"""Peer coaching groups: the rotation for 3 to 8 members, re-planning as members leave and join, the ground rules
gate, the coach's chat commands and the command line, the coach's digest, privacy between members, and safety."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.cli import main
from bot.config import Config
from bot.groups import GroupError, Groups, rotation
from bot.storage import groups as gstore
from bot.storage import jobs as job_store
from bot.storage import schema as t
from bot.storage import store
from bot.storage.erasure import erase_coachee
from bot.storage.groups import Group, GroupSession
from bot.transports.slack import bare_commands
from flows.stepper import ProfileChange
from tests.conftest import Clock, Harness, MarkerScreener, make_harness

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 10, 6, 10, 0, tzinfo=LONDON).astimezone(UTC)  # a Tuesday; UK clocks go back on 25 October
EVERY = timedelta(days=14)
BEFORE = datetime(2026, 9, 28, 9, 0, tzinfo=UTC)
LEAD = "lead"  # the facilitating coach's chat
RULES = "Do you agree to keep what's shared in the group confidential?"
PEOPLE = [("kim", "Kim Lee"), ("ash", "Ash Patel"), ("jo", "Jo Brown"), ("max", "Max Green"), ("ria", "Ria Shah")]
GROUP_FLOWS = ("group_join", "group_prep", "group_commit", "group_reflect")


# the rotation: a pure function

def local(at: datetime) -> datetime:
    return at.astimezone(LONDON)


@pytest.mark.parametrize("n", range(3, 9))
def test_the_rotation_gives_each_member_one_session_then_a_closing_one(n: int) -> None:
    members = [100 + i for i in range(n)]
    plan = rotation(members, held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    assert [s.number for s in plan] == list(range(1, n + 2))  # N members need N+1 sessions
    assert [s.presenter_id for s in plan[:n]] == members  # each once, in the order they agreed
    assert plan[n].presenter_id is None
    assert plan[0].feedback_from_id is None
    assert [s.feedback_from_id for s in plan[1:]] == members  # from session 2, the previous presenter
    # Every 14 days at 10:00 London time, before and after the clocks go back.
    assert [local(s.at) for s in plan] == [datetime(2026, 10, 6, 10, 0, tzinfo=LONDON) + EVERY * k
                                           for k in range(n + 1)]
    assert all(local(s.at).time() == time(10, 0) for s in plan)


def test_re_planning_after_a_member_leaves_before_presenting() -> None:
    first = rotation([1, 2, 3, 4], held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    after_one = first[0].at + timedelta(hours=3)
    plan = rotation([1, 2, 4], held=first[:1], start=START, every=EVERY, zone=LONDON, now=after_one)
    assert plan[0] == first[0]
    assert [(s.number, s.presenter_id, s.feedback_from_id) for s in plan] == [
        (1, 1, None), (2, 2, 1), (3, 4, 2), (4, None, 4)]  # one session fewer; the close moves up
    assert [s.at for s in plan] == [s.at for s in first[:4]]


def test_re_planning_after_a_member_leaves_having_presented() -> None:
    first = rotation([1, 2, 3], held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    after_two = first[1].at + timedelta(hours=3)
    plan = rotation([2, 3], held=first[:2], start=START, every=EVERY, zone=LONDON, now=after_two)
    assert plan[:2] == first[:2]  # the past is never re-planned
    assert [(s.presenter_id, s.feedback_from_id) for s in plan] == [(1, None), (2, 1), (3, 2), (None, 3)]


def test_a_member_joining_mid_rotation_presents_before_the_closing_session() -> None:
    first = rotation([1, 2, 3], held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    after_two = first[1].at + timedelta(hours=3)
    plan = rotation([1, 2, 3, 9], held=first[:2], start=START, every=EVERY, zone=LONDON, now=after_two)
    assert plan[:3] == first[:3]
    assert [(s.number, s.presenter_id, s.feedback_from_id) for s in plan[3:]] == [(4, 9, 3), (5, None, 9)]
    assert plan[4].at == plan[3].at + EVERY


def test_a_finished_rotation_stays_as_it_was() -> None:
    first = rotation([1, 2, 3], held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    later = first[-1].at + timedelta(days=1)
    assert rotation([1, 2, 3, 9], held=first, start=START, every=EVERY, zone=LONDON, now=later) == first


def test_after_a_pause_the_sessions_to_come_keep_to_the_cadence_from_the_next_meeting_time() -> None:
    first = rotation([1, 2, 3], held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    much_later = first[0].at + timedelta(days=40)  # sessions 2 and 3 were called off meanwhile
    plan = rotation([1, 2, 3], held=first[:1], start=START, every=EVERY, zone=LONDON, now=much_later)
    assert local(plan[1].at) == datetime(2026, 11, 17, 10, 0, tzinfo=LONDON)  # the first meeting time after now
    assert [local(s.at) for s in plan[2:]] == [datetime(2026, 12, 1, 10, 0, tzinfo=LONDON),
                                               datetime(2026, 12, 15, 10, 0, tzinfo=LONDON)]


@settings(max_examples=300, deadline=None)
@given(n=st.integers(3, 8), held=st.integers(0, 9), leaving=st.sets(st.integers(0, 7), max_size=4),
       joining=st.integers(0, 3))
def test_any_re_plan_keeps_the_past_and_gives_everyone_still_to_present_one_session(
    n: int, held: int, leaving: set[int], joining: int
) -> None:
    members = list(range(1, n + 1))
    first = rotation(members, held=(), start=START, every=EVERY, zone=LONDON, now=BEFORE)
    kept = first[:min(held, n + 1)]
    now = kept[-1].at + timedelta(hours=2) if kept else BEFORE
    now_members = [m for i, m in enumerate(members) if i not in leaving] + [50 + j for j in range(joining)]
    plan = rotation(now_members, held=kept, start=START, every=EVERY, zone=LONDON, now=now)
    assert plan[:len(kept)] == kept
    if kept and kept[-1].presenter_id is None:
        assert plan == kept
        return
    presented = {s.presenter_id for s in kept}
    coming = plan[len(kept):]
    assert [s.presenter_id for s in coming] == [m for m in now_members if m not in presented] + [None]
    assert [s.number for s in plan] == list(range(1, len(plan) + 1))
    for before, session in pairwise(plan):
        assert session.feedback_from_id == before.presenter_id
        assert session.at > before.at
    for session in coming:
        assert session.at > now
        assert local(session.at).time() == time(10, 0)
        assert (local(session.at).date() - local(START).date()).days % 14 == 0


# a group on a real database

@dataclass
class GroupTest:
    """A harness with a coach who leads a group, and members who are other coaches' coachees."""

    h: Harness
    clock: Clock
    lead_id: int
    group: Group
    ids: dict[str, int] = field(default_factory=dict)  # chat user -> coachee id

    @property
    def groups(self) -> Groups:
        return self.h.app.groups

    async def lead(self, text: str) -> str:
        return await self.h.texts(text, user=LEAD)

    async def member(self, user: str, text: str | None = None, *, payload: str | None = None) -> str:
        return await self.h.texts(text, user=user, payload=payload)

    async def invite(self, *users: str) -> None:
        with self.h.app.db.begin() as conn:
            for user in users:
                coachee = store.get_coachee(conn, self.ids[user])
                self.groups.add_member(conn, self.group, coachee, now=self.clock.now, starter=self.h.app.engine)
        await self.h.app.outbox.deliver_due()

    def sessions(self) -> list[GroupSession]:
        with self.h.app.db.connect() as conn:
            return gstore.sessions_of(conn, self.group.id)

    def plan(self) -> list[tuple[int, int | None, int | None]]:
        return [(s.number, s.presenter_id, s.feedback_from_id) for s in self.sessions()]

    def texts_to(self, user: str) -> list[str]:
        return self.h.transport.texts_to(user)

    async def until(self, kind: str, *, number: int, user: str | None = None) -> None:
        """Move the clock to that pending job of this group's session, running everything due by then."""
        session = next(s for s in self.sessions() if s.number == number)
        with self.h.app.db.connect() as conn:
            (job,) = [j for j in job_store.jobs_of(conn) if j.status == "pending" and j.kind == kind
                      and j.group_session_id == session.id and (user is None or j.coachee_id == self.ids[user])]
        self.clock.now = max(self.clock.now, job.due_at)
        while await self.h.app.scheduler.run_due():
            pass
        await self.h.app.outbox.deliver_due()

    def position(self, user: str) -> tuple[str, str] | None:
        with self.h.app.db.connect() as conn:
            conversation = store.conversation_of(conn, self.ids[user])
        position = conversation.data.position if conversation is not None else None
        return None if position is None else (position.flow, position.state)


def add_person(h: Harness, user: str, name: str, *, keep_answers: bool = True, coach_id: int | None = None) -> int:
    """A coachee who finished onboarding (their own coach is the harness's Alex Coach unless said otherwise)."""
    with h.app.db.begin() as conn:
        coachee = store.add_coachee(conn, coach_id=coach_id or h.coach_id, name=name, at=h.app.engine.clock())
        store.add_identity(conn, transport="memory", external_id=user, coachee_id=coachee.id)
        store.apply_profile(conn, coachee.id, [
            ProfileChange(field="consent_store", value="yes" if keep_answers else "no"),
            ProfileChange(field="consent_share", value="yes"), ProfileChange(field="timezone", value="Europe/London")])
    return coachee.id


def add_lead(h: Harness, name: str = "Robin Lead", user: str = LEAD) -> int:
    with h.app.db.begin() as conn:
        coach = store.add_coach(conn, name=name, at=h.app.engine.clock())
        store.add_identity(conn, transport="memory", external_id=user, coach_id=coach.id)
    return coach.id


async def group_test(config: Config, screener: MarkerScreener, people: Sequence[tuple[str, str]] = PEOPLE[:3], *,
                     agree: bool = True, now: datetime = BEFORE) -> GroupTest:
    """A group that starts on START, every 14 days; its members invited (and, with `agree`, agreed in that order)."""
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    clock = Clock(now)
    h.use_clock(clock)
    lead_id = add_lead(h)
    with h.app.db.begin() as conn:
        group = h.app.groups.create(conn, coach_id=lead_id, name="Ward leaders", every=EVERY, start=START,
                                            now=now)
    test = GroupTest(h=h, clock=clock, lead_id=lead_id, group=group)
    for user, name in people:
        test.ids[user] = add_person(h, user, name)
    await test.invite(*test.ids)
    if agree:
        for user in test.ids:
            await test.member(user, "yes")
    return test


async def test_members_join_the_rotation_only_once_they_agree_to_the_ground_rules(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener, PEOPLE[:4], agree=False)
    kim, ash, jo, max_ = (g.ids[u] for u in ("kim", "ash", "jo", "max"))
    for user in g.ids:
        invited = g.texts_to(user)
        assert "Robin Lead has invited you to join Ward leaders" in invited[0] and RULES in invited[1]
    with g.h.app.db.connect() as conn, pytest.raises(GroupError, match="0 of the 3 members"):
        g.groups.plan(conn, g.group, now=g.clock.now)
    assert "You're part of the group's rotation now" in await g.member("kim", "yes")
    await g.member("ash", "I agree")
    notices = g.texts_to(LEAD)
    assert "Ash Patel has agreed to the ground rules of Ward leaders" in notices[-1]
    assert "2 of the 3 members it needs" in notices[-1]
    assert "won't be part of the group's rotation" in await g.member("jo", "no")
    assert "Jo Brown hasn't agreed to the ground rules of Ward leaders for now" in g.texts_to(LEAD)[-1]
    assert g.plan() == []  # two in the rotation: no plan, and nothing scheduled
    with g.h.app.db.connect() as conn:
        assert [j for j in job_store.jobs_of(conn) if j.group_session_id is not None] == []

    await g.member("max", "yes")
    assert g.plan() == [(1, kim, None), (2, ash, kim), (3, max_, ash), (4, None, max_)]  # Jo said no: not in it
    joined = g.texts_to(LEAD)[-1]
    assert "Max Green has agreed" in joined and "1. Tue 6 Oct 2026, 10:00: Kim Lee brings a challenge" in joined
    assert "4. Tue 17 Nov 2026, 10:00: Max Green opens with feedback; the closing session" in joined

    # Sent the ground rules again, Jo agrees, and presents before the closing session.
    assert "hasn't agreed to the ground rules of Ward leaders yet, so I've sent them again" in await g.lead(
        "/groupadd Ward leaders " + str(jo))
    assert RULES in g.texts_to("jo")[-1]
    await g.member("jo", "yes")
    assert g.plan() == [(1, kim, None), (2, ash, kim), (3, max_, ash), (4, jo, max_), (5, None, jo)]
    with g.h.app.db.connect() as conn:
        mine = {j.kind for j in job_store.jobs_of(conn, coachee_id=jo) if j.status == "pending"}
    assert mine == {"group_prep", "group_reflect", "group_commit"}


async def test_a_member_who_keeps_no_answers_can_still_agree(config: Config, screener: MarkerScreener) -> None:
    g = await group_test(config, screener, PEOPLE[:2], agree=True)
    g.ids["jo"] = add_person(g.h, "jo", "Jo Brown", keep_answers=False)
    await g.invite("jo")
    await g.member("jo", "yes")
    assert [p for _, p, _ in g.plan()] == [g.ids["kim"], g.ids["ash"], g.ids["jo"], None]
    with g.h.app.db.connect() as conn:
        assert store.answers_of(conn, g.ids["jo"]) == []  # as they asked: nothing of theirs is kept


async def test_a_member_leaving_mid_rotation_re_plans_the_sessions_to_come_and_the_coach_is_told(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener, PEOPLE[:4])
    kim, ash, jo, max_ = (g.ids[u] for u in ("kim", "ash", "jo", "max"))
    before = g.sessions()
    g.clock.now = before[1].at + timedelta(hours=1)  # sessions 1 and 2 have been held
    reply = await g.lead("/groupleave Ward leaders Jo Brown")
    assert "Jo Brown has left Ward leaders." in reply
    assert "3. Tue 3 Nov 2026, 10:00: Ash Patel opens with feedback; Max Green brings a challenge" in reply
    after = g.sessions()
    assert after[:2] == before[:2]  # the past stays exactly as it was
    assert g.plan() == [(1, kim, None), (2, ash, kim), (3, max_, ash), (4, None, max_)]
    assert [s.at for s in after] == [s.at for s in before[:4]]
    assert "You're no longer a member of Ward leaders" in g.texts_to("jo")[-1]
    with g.h.app.db.connect() as conn:
        assert not [j for j in job_store.jobs_of(conn, coachee_id=jo) if j.status == "pending"]
        coming = [(j.kind, j.coachee_id) for j in job_store.jobs_of(conn) if j.status == "pending"
                  and j.kind in ("group_prep", "group_reflect")]
    assert sorted(coming) == [("group_prep", max_), ("group_reflect", ash), ("group_reflect", max_)]

    # Ash, who has presented, leaves too: under the minimum, the sessions to come are on hold.
    reply = await g.lead("/groupleave Ward leaders Ash")
    assert "fewer than the 3 it needs, so its remaining sessions are on hold" in reply
    assert g.plan() == [(1, kim, None), (2, ash, kim)]
    with g.h.app.db.connect() as conn, pytest.raises(GroupError, match="on hold"):
        g.groups.plan(conn, g.group, now=g.clock.now)
    # Someone new joins and agrees: the rotation picks up, keeping to the cadence, with the newcomer in it.
    g.ids["ria"] = add_person(g.h, "ria", "Ria Shah")
    await g.invite("ria")  # another coach's coachee: the operator adds them
    await g.member("ria", "yes")
    assert g.plan() == [(1, kim, None), (2, ash, kim), (3, max_, ash), (4, g.ids["ria"], max_),
                        (5, None, g.ids["ria"])]
    assert "Ria Shah has agreed" in g.texts_to(LEAD)[-1]


async def test_the_coachs_commands_are_for_the_coach_who_leads_the_group(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    for command in ("/groups", "/group Ward leaders", "/groupnew Secret", f"/groupadd Ward leaders {g.ids['kim']}",
                    "/groupleave Ward leaders Kim"):
        assert await g.member("kim", command) == "That's for coaches."
    # Another coach sees none of it and can change none of it.
    assert "no peer coaching groups yet" in await g.h.texts("/groups", user="c1")
    assert "couldn't find a group of yours called Ward leaders" in await g.h.texts("/group Ward leaders", user="c1")
    assert "Tell me the group and the person" in await g.h.texts("/groupleave Ward leaders Kim Lee", user="c1")
    with g.h.app.db.connect() as conn:
        assert [g_.name for g_ in gstore.list_groups(conn)] == ["Ward leaders"]
        assert len([m for m in gstore.members_of(conn, g.group.id) if m.in_rotation]) == 3

    listing = await g.lead("/groups")
    assert "Ward leaders (id 1): 3 in the rotation, 0 yet to agree; next: session 1, Tue 6 Oct 2026, 10:00" in listing
    assert "groupadd GROUP PERSON: invite a member" in bare_commands(listing)  # as Slack shows it
    plan = await g.lead("groups")  # bare words work too (Slack keeps /word for itself)
    assert plan == listing
    assert "1. Tue 6 Oct 2026, 10:00: Kim Lee brings a challenge" in await g.lead("/group ward")
    created = await g.lead("/groupnew Theatre leads every 3 weeks from 2026-10-08T14:00")
    assert "Created Theatre leads (id 2): every 21 days, the first session on Thu 8 Oct 2026, 14:00" in created
    assert "already have a group called Theatre leads" in await g.lead("/groupnew theatre leads")
    assert "couldn't read" in await g.lead("/groupnew Night staff from whenever")
    assert "Give the group a name" in await g.lead("/groupnew")
    with g.h.app.db.connect() as conn:
        theatre = gstore.get_group(conn, 2)
    assert (theatre.every_days, local(theatre.start_at)) == (21, datetime(2026, 10, 8, 14, 0, tzinfo=LONDON))
    # In chat a coach invites only their own coachees (or the group's members); the operator adds anyone else's.
    assert "Tell me the group and the person" in await g.lead("/groupadd Theatre leads Kim Lee")
    assert "Tell me the group and the person" in await g.lead(f"/groupadd Theatre leads {g.ids['kim']}")
    own = add_person(g.h, "pat", "Pat Own", coach_id=g.lead_id)
    assert "I've invited Pat Own to Theatre leads" in await g.lead(f"/groupadd Theatre leads {own}")
    assert "already in the rotation of Ward leaders" in await g.lead("/groupadd Ward leaders Kim")


# the command line

@pytest.fixture
def cfg(db_url: str, tmp_path: Path) -> str:
    path = tmp_path / "coachbot.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n')
    return str(path)


def cli(cfg: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", cfg, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_the_command_line_creates_a_group_adds_members_and_prints_the_plan(
    cfg: str, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    monkeypatch.setattr("bot.cli._now", clock)  # the command line's clock, and the chat's below
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    h.use_clock(clock)
    lead = add_lead(h)
    ids = {user: add_person(h, user, name) for user, name in PEOPLE[:3]}

    code, out, _ = cli(cfg, capsys, "group", "create", "--coach", str(lead), "--name", "Ward leaders",
                       "--every", "P21D", "--start", "2027-03-02T10:00")
    assert code == 0
    group = out.strip().splitlines()[-1]
    assert group.isdigit() and "every 21 days" in out
    for user in ids:
        code, out, _ = cli(cfg, capsys, "group", "add", group, "--coachee", str(ids[user]))
        assert code == 0 and out.strip().splitlines()[-1] == str(ids[user])
        assert "sent them the ground rules" in out

    code, out, err = cli(cfg, capsys, "group", "plan", group, "--json")
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "0 of the 3 members it needs" in err

    await h.app.outbox.deliver_due()
    for user in ids:
        assert RULES in h.transport.texts_to(user)[-1]
        await h.say("yes", user=user)
    code, out, _ = cli(cfg, capsys, "group", "plan", "Ward leaders", "--json")
    assert code == 0
    plan = json.loads(out)
    assert list(plan) == ["sessions"]
    kim, ash, jo = ids["kim"], ids["ash"], ids["jo"]
    assert plan["sessions"] == [
        {"number": 1, "at": "2027-03-02T10:00:00+00:00", "presenter_id": kim, "feedback_from_id": None},
        {"number": 2, "at": "2027-03-23T10:00:00+00:00", "presenter_id": ash, "feedback_from_id": kim},
        {"number": 3, "at": "2027-04-13T10:00:00+01:00", "presenter_id": jo, "feedback_from_id": ash},
        {"number": 4, "at": "2027-05-04T10:00:00+01:00", "presenter_id": None, "feedback_from_id": jo},
    ]
    code, out, _ = cli(cfg, capsys, "group", "plan", group)
    assert code == 0 and "2. Tue 23 Mar 2027, 10:00: Kim Lee opens with feedback; Ash Patel brings a challenge" in out
    code, out, _ = cli(cfg, capsys, "schedule", "--coachee", str(ash))
    assert code == 0 and "questions before bringing a challenge to a peer group" in out

    code, out, _ = cli(cfg, capsys, "group", "remove", group, "--coachee", str(ash))
    assert code == 0 and "Ash Patel has left Ward leaders" in out and "2 of the 3 members it needs" in out
    await h.app.outbox.deliver_due()
    assert "Ash Patel has left Ward leaders" in h.transport.texts_to(LEAD)[-1]  # the coach who leads it is told
    code, out, _ = cli(cfg, capsys, "group", "list", "--json")
    (listed,) = json.loads(out)
    assert (listed["name"], listed["in_rotation"], listed["every_days"]) == ("Ward leaders", [kim, jo], 21)
    h.app.db.dispose()


@pytest.mark.parametrize("args", [
    ["group", "create", "--coach", "1", "--name", "X", "--every", "PT5H"],
    ["group", "create", "--coach", "1", "--name", "X", "--every", "soon"],
    ["group", "create", "--coach", "1", "--name", "X", "--start", "2020-01-01T10:00"],
    ["group", "create", "--coach", "1", "--name", "X", "--start", "tuesday"],
    ["group", "create", "--coach", "99", "--name", "X"],
    ["group", "plan", "7"],
    ["group", "add", "Nowhere", "--coachee", "1"],
    ["group", "add", "1"],
])
def test_group_usage_errors_exit_2_with_one_line(cfg: str, capsys: pytest.CaptureFixture[str],
                                                 args: list[str]) -> None:
    assert cli(cfg, capsys, "coach", "add", "--name", "Robin")[0] == 0
    code, _, err = cli(cfg, capsys, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


async def test_nobody_is_added_whom_the_ground_rules_cannot_reach_and_a_group_coach_learns_no_hold(
    cfg: str, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str]
) -> None:
    g = await group_test(config, screener)
    with g.h.app.db.begin() as conn:
        new = store.add_coachee(conn, coach_id=g.lead_id, name="New Starter", at=g.clock.now)
        store.set_coachee_status(conn, g.ids["kim"], "hold")
    code, out, err = cli(cfg, capsys, "group", "add", str(g.group.id), "--coachee", str(new.id))
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1 and "hasn't joined on any chat yet" in err
    reply = await g.lead(f"/groupadd Ward leaders {new.id}")
    assert "they haven't finished getting started with coachbot" in reply
    code, _, err = cli(cfg, capsys, "group", "remove", str(g.group.id), "--coachee", str(new.id))
    assert code == 2 and "New Starter isn't a member of Ward leaders" in err
    # Kim, a member on a safety hold, left; the group's coach can't add her again from chat (she is another coach's
    # coachee), and the operator is told exactly why.
    await g.lead("/groupleave Ward leaders Kim")
    assert "Tell me the group and the person" in await g.lead(f"/groupadd Ward leaders {g.ids['kim']}")
    code, _, err = cli(cfg, capsys, "group", "add", str(g.group.id), "--coachee", str(g.ids["kim"]))
    assert code == 2 and "hold" in err
    # One of the coach's own coachees on a safety hold: the coach who leads the group isn't told why it failed.
    own = add_person(g.h, "pat", "Pat Own", coach_id=g.lead_id)
    with g.h.app.db.begin() as conn:
        store.set_coachee_status(conn, own, "hold")
    reply = await g.lead(f"/groupadd Ward leaders {own}")
    assert "I can't send them anything just now" in reply and "hold" not in reply
    with g.h.app.db.connect() as conn:
        members = [m.coachee_id for m in gstore.members_of(conn, g.group.id)]
    assert members == [g.ids["ash"], g.ids["jo"]]


# the coach's digest, privacy and safety

async def test_a_members_answers_reach_only_the_coach_who_leads_the_group(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    await g.until("group_prep", number=1)
    assert "it's your turn to bring a challenge" in g.texts_to("kim")[-2]
    await g.member("kim", "Kim's secret challenge about the rota")
    await g.member("kim", "Kim's wish for fresh eyes")
    await g.member("kim", "/skip")
    await g.until("group_digest", number=1)
    digest = g.texts_to(LEAD)[-1]
    assert "# Ward leaders: session 1 of 4" in digest
    assert "**The challenge**: Kim's secret challenge about the rota" in digest
    assert "**What they want from the group**: Kim's wish for fresh eyes" in digest
    for user in ("ash", "jo"):
        assert not any("Kim's" in text for text in g.texts_to(user))
    assert not any("Kim's" in text for text in g.texts_to("c1"))  # nor to their own coach, who doesn't lead it
    with g.h.app.db.connect() as conn:
        about = conn.execute(select(t.outbox.c.coachee_id).where(t.outbox.c.kind == "digest")).scalars().all()
    assert about == [g.ids["kim"]]  # recorded against Kim, so erasing Kim takes it too


async def test_a_crisis_during_group_questions_is_routed_as_one_to_one_and_the_group_coach_sees_no_words(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    await g.until("group_prep", number=1)
    reply = await g.member("kim", "[crisis] I can't see a way through any of it")
    assert "Samaritans" in reply
    with g.h.app.db.connect() as conn:
        assert store.get_coachee(conn, g.ids["kim"]).status == "hold"
        assert [a.flow for a in store.answers_of(conn, g.ids["kim"])] == ["group_join"]  # nothing else kept
    assert any("Kim Lee" in text and "crisis" in text for text in g.texts_to("c1"))  # their own coach is alerted
    assert not any("way through" in text for user in ("c1", LEAD, "ash", "jo") for text in g.texts_to(user))


async def test_erasing_a_member_takes_their_membership_and_leaves_the_group_intact(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    with g.h.app.db.begin() as conn:
        erase_coachee(conn, g.ids["ash"])
    with g.h.app.db.connect() as conn:
        assert [m.coachee_id for m in gstore.members_of(conn, g.group.id)] == [g.ids["kim"], g.ids["jo"]]
        assert conn.execute(select(t.group_members).where(t.group_members.c.coachee_id == g.ids["ash"])).first() is None
        assert [s.presenter_id for s in gstore.sessions_of(conn, g.group.id)] == [g.ids["kim"], None, g.ids["jo"], None]
