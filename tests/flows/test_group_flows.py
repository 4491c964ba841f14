"""The peer group flows: the presenter's preparation, their commitments after the session (shared with the other
members only if they choose), their reflection before the next, and the coach's digest built from exactly those."""

from __future__ import annotations

from bot.config import Config
from bot.storage import groups as gstore
from bot.storage import store
from tests.bot.test_groups import LEAD, RULES, GroupTest, group_test
from tests.conftest import MarkerScreener


def answers(g: GroupTest, user: str, flow: str) -> list[tuple[str, str, str | None, bool]]:
    with g.h.app.db.connect() as conn:
        return [(a.run_id, a.question, a.text, a.shared) for a in store.answers_of(conn, g.ids[user]) if a.flow == flow]


async def prepare(g: GroupTest, user: str = "kim", *, number: int = 1) -> None:
    await g.until("group_prep", number=number, user=user)
    await answer_prep(g, user)


async def answer_prep(g: GroupTest, user: str) -> None:
    assert g.position(user) == ("group_prep", "challenge")
    await g.member(user, f"{user}-challenge: handovers overrun")
    await g.member(user, f"{user}-want: questions, not advice")
    await g.member(user, f"{user}-tried: a shorter template")


async def commit(g: GroupTest, user: str = "kim", *, number: int = 1, share: str = "no") -> None:
    await g.until("group_commit", number=number, user=user)
    await g.member(user, f"{user}-commitments: ask two colleagues, try the template twice")
    await g.member(user, share)


async def test_the_presenter_prepares_before_their_session_and_only_the_run_for_it_is_kept(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    await g.until("group_prep", number=1)
    intro, question = g.texts_to("kim")[-2:]
    assert intro.startswith("Hello Kim. Ward leaders meets on Tuesday 6 October at 10:00, and it's your turn")
    assert "only Robin Lead, who leads the group, sees your answers" in intro
    assert question == "What challenge would you like to bring to the group? Put it in your own words."
    assert "What would you like from the group" in await g.member("kim", "Rotas")
    assert "What challenge would you like" in await g.member("kim", "/back")
    await g.member("kim", "kim-challenge: handovers overrun")
    assert "What have you tried so far?" in await g.member("kim", "kim-want: questions, not advice")
    assert "will read this before the session" in await g.member("kim", "/skip")  # an optional question
    (session, *_) = g.sessions()
    assert session.prep_run is not None
    assert answers(g, "kim", "group_prep") == [
        (session.prep_run, "challenge", "kim-challenge: handovers overrun", False),
        (session.prep_run, "want", "kim-want: questions, not advice", False)]  # never shared with their own coach
    assert not any("group_prep" in text or "kim-" in text for user in ("ash", "jo") for text in g.texts_to(user))


async def test_after_the_session_the_presenter_says_what_they_will_do(config: Config, screener: MarkerScreener) -> None:
    g = await group_test(config, screener)
    await prepare(g)
    await g.until("group_commit", number=1)
    assert g.texts_to("kim")[-2] == "Thank you for bringing your challenge to Ward leaders today, Kim."
    assert "What will you do before the next session?" in g.texts_to("kim")[-1]
    assert "other members of the group to see this too?" in await g.member("kim", "kim-commitments: ask two people")
    assert "Before the next session I'll ask how it has gone" in await g.member("kim", "no")
    session = g.sessions()[0]
    assert session.status == "done" and session.commit_run is not None
    assert answers(g, "kim", "group_commit") == [(session.commit_run, "commitments", "kim-commitments: ask two people",
                                                  False), (session.commit_run, "share_with_group", "no", False)]
    assert not any("kim-" in text for user in ("ash", "jo") for text in g.texts_to(user))
    with g.h.app.db.connect() as conn:
        assert store.actions_of(conn, g.ids["kim"]) == []  # kept apart from their one-to-one actions


async def test_commitments_reach_the_other_members_only_when_the_presenter_chooses_and_nothing_else_does(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    await prepare(g)
    await commit(g, share="yes")
    for user in ("ash", "jo"):
        shared = [text for text in g.texts_to(user) if "kim-" in text]
        assert shared == ["Kim Lee would like you to see what they'll do before the next Ward leaders session: "
                          "\"kim-commitments: ask two colleagues, try the template twice\""]
    assert not any("kim-" in text for text in g.texts_to("c1"))


async def test_before_the_next_session_the_previous_presenter_reflects_and_their_answers_open_the_digest(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener)
    await prepare(g)
    await commit(g)
    await g.until("group_reflect", number=2, user="kim")
    intro, question = g.texts_to("kim")[-2:]
    assert "Ward leaders meets again on Tuesday 20 October at 10:00, and you'll open it" in intro
    assert 'Last time you said you would: "kim-commitments: ask two colleagues, try the template twice"' in intro
    assert question == "Since you brought your challenge, what have you reflected on?"
    assert "And what have you put into action?" in await g.member("kim", "kim-reflected: I jump in too fast")
    assert "You'll open the next session with this" in await g.member("kim", "kim-acted: asked two colleagues")
    assert g.sessions()[1].feedback_run is not None
    assert [q for _, q, _, _ in answers(g, "kim", "group_reflect")] == ["reflected", "acted"]

    await answer_prep(g, "ash")  # asked at the same time as Kim's reflection
    await g.member("jo", "/journal")
    await g.member("jo", "jo-journal: my own thoughts")
    await g.until("group_digest", number=2)
    feedback, preparation = g.texts_to(LEAD)[-2:]
    assert feedback.startswith("# Ward leaders: session 2 of 4\n- Tue 20 Oct 2026, 10:00 (Europe/London)")
    assert "## Feedback from Kim Lee" in feedback
    order = [feedback.index(marker) for marker in (
        "**What they reflected on**: kim-reflected", "**What they put into action**: kim-acted",
        "**What they said they would do**: kim-commitments")]
    assert order == sorted(order)  # what they reflected on and did opens it
    assert preparation.startswith("## Ash Patel brings a challenge")
    assert "**The challenge**: ash-challenge: handovers overrun" in preparation
    assert "**What they've tried so far**: ash-tried" in preparation
    both = feedback + preparation
    assert "ash-" not in feedback and "kim-" not in preparation and "jo-" not in both  # no one else's words


async def test_the_digest_says_plainly_when_there_is_nothing_to_show(config: Config, screener: MarkerScreener) -> None:
    g = await group_test(config, screener)
    await g.until("group_digest", number=1)
    assert "- Kim hasn't answered the questions to prepare yet." in g.texts_to(LEAD)[-1]
    with g.h.app.db.begin() as conn:
        store.set_coachee_status(conn, g.ids["ash"], "paused")  # Ash asked for a pause: no questions go to them
    await g.until("group_digest", number=2)
    feedback, preparation = g.texts_to(LEAD)[-2:]
    assert "- Kim hasn't answered the reflection questions yet." in feedback
    assert "- Kim hasn't answered the questions after session 1 yet." in feedback
    assert "- The questions to prepare didn't go to Ash." in preparation
    assert g.sessions()[0].status == "done"
    assert not any("What challenge would you like to bring" in text for text in g.texts_to("ash"))


async def test_the_ground_rules_are_asked_again_kindly_when_the_answer_is_unclear(
    config: Config, screener: MarkerScreener
) -> None:
    g = await group_test(config, screener, agree=False)
    assert RULES in g.texts_to("kim")[-1]
    assert "Is that a yes or a no?" in await g.member("kim", "maybe, what does it involve?")
    assert "part of the group's rotation now" in await g.member("kim", "yes")
    with g.h.app.db.connect() as conn:
        (member, *_) = gstore.members_of(conn, g.group.id)
    assert (member.coachee_id, member.in_rotation) == (g.ids["kim"], True)
    assert [(q, text) for _, q, text, _ in answers(g, "kim", "group_join")] == [("agree", "yes")]
