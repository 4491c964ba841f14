"""A programme of two sessions on a real SQLite file and a hand-moved clock, from the invite to the end: every flow
the service's seven-stage model asks for comes in its place, and each digest holds what its session collected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.storage import jobs as job_store
from bot.storage import store
from flows.spec import AnswerKind
from tests.conftest import Clock, Harness, MarkerScreener, make_harness

LONDON = ZoneInfo("Europe/London")
SESSIONS = [datetime(2026, 10, 6, 10, 0, tzinfo=LONDON), datetime(2026, 10, 20, 10, 0, tzinfo=LONDON)]
USER = "robin"


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
        elif state.answer is AnswerKind.YES_NO:
            await h.say("no", user=USER)
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
    digests: list[tuple[datetime, str]] = []
    while True:
        with h.app.db.connect() as conn:
            due = job_store.next_due(conn)
        if due is None or due > datetime(2026, 12, 1, tzinfo=UTC):
            break
        clock.now = max(clock.now, due)
        sent = len(h.transport.sent)
        await h.app.scheduler.run_due()
        await h.app.outbox.deliver_due()
        digests += [(clock.now, m.reply.text) for m in h.transport.sent[sent:]
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
    before_one, before_two = (text for _, text in digests)
    assert "My answer to pre_session goal" in before_one and "My answer to follow_up since" not in before_one
    assert "My answer to follow_up since" in before_two and "My answer to follow_up session_want" in before_two
    h.app.engine.close()
    h.app.db.dispose()
