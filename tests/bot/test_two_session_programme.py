"""A programme of two sessions on a real SQLite file and a hand-moved clock, from the invite to the end: every flow
the service's seven-stage model asks for comes in its place, and each digest holds what its session collected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.storage import jobs as job_store
from bot.storage import store
from bot.types import Reply
from flows.spec import AnswerKind
from tests.conftest import Clock, Harness, MarkerScreener, make_harness

LONDON = ZoneInfo("Europe/London")
SESSIONS = [datetime(2026, 10, 6, 10, 0, tzinfo=LONDON), datetime(2026, 10, 20, 10, 0, tzinfo=LONDON)]
USER = "robin"


def this_session(digest: str, number: int) -> list[str]:
    """The lines of the digest's section on what the coachee said for this session."""
    lines = digest.splitlines()
    start = lines.index(f"## For session {number}: what they said before it") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("#"))
    return [line for line in lines[start:end] if line]


async def answer_whatever_is_asked(h: Harness, coachee_id: int) -> list[tuple[str, str]]:
    """Answer the running flow to its end as a willing coachee would; returns the (flow, state) of each question."""
    asked: list[tuple[str, str]] = []
    for _ in range(60):
        with h.app.db.connect() as conn:
            conversation = store.conversation_of(conn, coachee_id)
        position = conversation.data.position if conversation else None
        if position is None:
            return asked
        asked.append((position.flow, position.state))
        state = h.app.flows.registry.spec(position.flow).state(position.state)
        if state.answer is AnswerKind.SCALE:
            await h.say("6", user=USER)
        elif state.answer is AnswerKind.CHOICE:
            # at check-ins an action is still under way; at the follow-up it is done, and the goal is kept
            choice = state.choices[0] if position.flow == "follow_up" else state.choices[-1]
            await h.say(choice.label, user=USER)
        elif state.answer is AnswerKind.YES_NO:  # no more actions, but yes, share this with the coach
            await h.say("yes" if state.share else "no", user=USER)
        elif state.answer is AnswerKind.DATE:
            await h.say("next Friday", user=USER)
        elif state.answer is AnswerKind.REVIEW:
            await h.say(payload=next(b.payload for b in h.transport.replies_to(USER)[-1].buttons
                                     if b.payload.endswith(":send")), user=USER)
        else:
            await h.say(f"My answer to {position.flow} {position.state}", user=USER)
    raise AssertionError(f"the flow never ended: {asked[-5:]}")


async def test_two_sessions_from_the_invite_to_the_end(config: Config, screener: MarkerScreener) -> None:
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    clock = Clock(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    h.use_clock(clock)
    with h.app.db.begin() as conn:
        code = store.create_invite(conn, coach_id=h.coach_id, at=clock.now, valid_for=timedelta(days=14))
    await h.say(f"/start {code}", user=USER, name="Robin Lee")
    for answer in ("yes", "yes", "yes", "London"):
        await h.say(answer, user=USER)
    with h.app.db.begin() as conn:
        (robin,) = [c for c in store.list_coachees(conn) if c.name == "Robin Lee"]
        for at in SESSIONS:
            store.add_session(conn, coachee_id=robin.id, at=at.astimezone(UTC), timezone="Europe/London",
                              number=None)
        h.app.planner.plan_coachee(conn, robin.id, now=clock.now)

    flows: list[tuple[datetime, str]] = []
    asked: list[tuple[str, str]] = []
    digests: list[tuple[datetime, Reply]] = []
    while True:
        with h.app.db.connect() as conn:
            due = job_store.next_due(conn)
        if due is None or due > datetime(2026, 12, 1, tzinfo=UTC):
            break
        clock.now = max(clock.now, due)
        sent = len(h.transport.sent)
        await h.app.scheduler.run_due()
        await h.app.outbox.deliver_due()
        digests += [(clock.now, m.reply) for m in h.transport.sent[sent:]
                    if m.key.user == "c1" and m.reply.text.startswith("# Digest")]
        answered = await answer_whatever_is_asked(h, robin.id)
        await h.app.outbox.deliver_due()
        if answered:
            flows.append((clock.now, answered[0][0]))
            asked += answered

    # onboarding, then session 1's goals, its actions, check-ins between, the follow-up, the final review
    names = [name for _, name in flows]
    assert names[0] == "pre_session" and names[1] == "post_session" and names[-2:] == ["follow_up", "final_review"]
    assert set(names[2:-2]) == {"checkin"}
    first_review = next(at for at, name in flows if name == "final_review")
    assert first_review == SESSIONS[1].astimezone(UTC) + timedelta(hours=2)  # after session 2, not before it
    follow_up_at = next(at for at, name in flows if name == "follow_up")
    assert SESSIONS[0] < follow_up_at < SESSIONS[1]
    # stage 6 after session 1; stages 5 and 7 where they belong
    assert {("post_session", s) for s in ("action", "due", "obstacles", "overcome", "scaling")} <= set(asked)
    assert {("follow_up", s) for s in ("since", "action_status", "action_done", "goal_choice", "scaling",
                                       "strengths_since", "role_model_since", "session_want")} <= set(asked)
    assert {("final_review", s) for s in ("helped", "keep_doing", "hurdles", "scaling", "new_goal",
                                          "relationship")} <= set(asked)
    after_last = [r.text for r in h.transport.replies_to(USER)][-len([a for a in asked if a[0] == "final_review"]):]
    assert not any("next session" in text for text in after_last)
    summary = next(r.text for r in h.transport.replies_to(USER) if "what you told me along the way" in r.text)
    assert "My answer to pre_session strengths" in summary and "My answer to pre_session role_model" in summary

    # the coach's digest before each session holds what that session's questions collected
    assert [at.astimezone(LONDON).date() for at, _ in digests] == [(s - timedelta(days=1)).date() for s in SESSIONS]
    before_one, before_two = (reply.text for _, reply in digests)
    assert "My answer to pre_session goal" in before_one and "My answer to follow_up since" not in before_one
    assert "- **From the first session**: My answer to pre_session session_want" in this_session(before_one, 1)
    # Before session 2: what the follow-up collected is this session's; session 1's answers only as history.
    current = this_session(before_two, 2)
    assert current[0] == "Their answers to the follow-up questions, 17 Oct:"
    assert "- **Since the last session**: My answer to follow_up since" in current
    assert "- **From this session**: My answer to follow_up session_want" in current
    assert "- **The goal**: Keep it" in current and "- **Why keep it**: My answer to follow_up goal_keep_why" in current
    assert not any("pre_session" in line for line in current)
    assert "My answer to pre_session session_want" not in before_two
    assert "- 3 Oct, before session 1: My answer to pre_session goal" in before_two
    assert "- 17 Oct, before session 2: kept the goal" in before_two
    readings = next(line for line in before_two.splitlines() if line.startswith("- Readings: "))
    assert [part.split(", ")[1].rstrip(")") for part in readings.split(" → ")][:3] == [
        "pre-session", "post-session", "check-in"]
    assert readings.endswith("(17 Oct, follow-up)")
    # Each digest carries its chart, with the readings in words beside it.
    for _, reply in digests:
        assert reply.attachment is not None and reply.attachment.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert reply.attachment.alt_text is not None and reply.attachment.alt_text.startswith("Scaling chart")
    second_alt = digests[1][1].attachment.alt_text  # type: ignore[union-attr]
    assert "6 on 17 Oct (follow-up)" in second_alt and "Sessions: 1 on 6 Oct, 2 on 20 Oct." in second_alt
    h.app.engine.close()
    h.app.db.dispose()
