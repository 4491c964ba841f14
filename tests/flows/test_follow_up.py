"""Before session 2 onwards: what happened since, each action in turn, the goal kept, changed or
replaced and why, scaling against the last reading, and the same review."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage import store
from tests.conftest import Clock, Harness, onboard
from tests.flows.test_post_session import record_actions
from tests.flows.test_pre_session import answer_up_to_review


async def after_session_one(h: Harness) -> None:
    h.use_clock(Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC)))
    await onboard(h)
    await answer_up_to_review(h)  # goal "Lead calmer ward meetings", scaling 4
    await h.press("Send to Alex Coach")
    await record_actions(h, [("Book a 1:1 with each band 6", "friday"), ("Draft a shorter agenda", "in 2 weeks")])


async def test_follow_up_asks_about_each_action_then_the_goal_then_scaling_against_last_time(
    harness: Harness,
) -> None:
    await after_session_one(harness)
    opening = await harness.prompt("follow_up")
    assert "How have things gone since your last session" in opening[-1].text
    first = await harness.say("Busy, but I tried things")
    assert "Book a 1:1 with each band 6 (by 20 November)" in first[-1].text
    assert [b.label for b in first[-1].buttons] == ["Done", "Partly", "Not yet"]
    celebrated = (await harness.press("Done"))[-1].text
    assert "worth celebrating" in celebrated and "What helped you get it done?" in celebrated
    second = await harness.say("Blocking out Friday mornings")
    assert "Draft a shorter agenda" in second[-1].text
    assert "What got in the way?" in await harness.texts("not yet")
    assert "What could you try differently" in await harness.texts("Rota gaps all month")
    goal = await harness.texts("Write it on the train in")
    assert 'Your goal has been: "Lead calmer ward meetings"' in goal
    assert "How would you put your goal now?" in await harness.texts("change it")
    assert "What made you want to change it?" in await harness.texts("Lead shorter, calmer ward meetings")
    scaling = await harness.texts("The meetings run too long")
    assert "Last time you said 4." in scaling
    since = await harness.texts("6")  # stage 5: their own words back, then what they have drawn on since
    assert 'a time it went well: "The audit huddle last spring went well"' in since
    assert 'these strengths: "Preparation and patience"' in since and "drawn on since" in since
    role_model = await harness.texts("Asking the team first")
    assert '"My old ward manager, who always listened first"' in role_model and "talk to them" in role_model
    assert "from this session" in await harness.texts("Not yet, she's on leave")
    review = await harness.texts("Practise opening the meeting")
    assert "exactly what Alex Coach will see" in review
    assert "Book a 1:1 with each band 6: Done" in review
    assert "Draft a shorter agenda: Not yet" in review and "Rota gaps all month" in review
    assert "Change it" in review and "The meetings run too long" in review
    await harness.press("Send to Alex Coach")

    with harness.app.db.connect() as conn:
        actions = {a.text: a.status for a in store.actions_of(conn, harness.coachee_id)}
        readings = [v for _, v in store.scale_history(conn, harness.coachee_id)]
        goal_now = store.latest_answer(conn, coachee_id=harness.coachee_id,
                                       questions=sorted(harness.app.flows.registry.remembered_questions("goal")))
    assert actions == {"Book a 1:1 with each band 6": "done", "Draft a shorter agenda": "not_yet"}
    assert readings == [4, 4, 6]  # before session 1, after it, and now
    assert goal_now == "Lead shorter, calmer ward meetings"


async def test_a_new_goal_asks_the_stage_one_questions_for_it(harness: Harness) -> None:
    await after_session_one(harness)
    await harness.prompt("follow_up")
    await harness.say("Quiet fortnight")
    await harness.press("Partly")
    await harness.say("/skip")  # what got in the way is optional
    await harness.say("/skip")  # and what to try now
    await harness.press("Done")
    await harness.say("/skip")  # what helped
    assert "What would you like to work on now?" in await harness.texts("a new one")
    assert "why now" in await harness.texts("Get ready for a matron interview")
    assert "How will you know you've reached it?" in await harness.texts("The post closes in March")
    assert "scale of 1 to 10" in await harness.texts("I'll have a practice panel behind me")
    with harness.app.db.connect() as conn:
        goal = store.latest_answer(conn, coachee_id=harness.coachee_id,
                                   questions=sorted(harness.app.flows.registry.remembered_questions("goal")))
    assert goal == "Get ready for a matron interview"


async def test_no_actions_and_no_goal_yet_goes_straight_to_a_goal(harness: Harness) -> None:
    await onboard(harness)
    await harness.prompt("follow_up")
    text = await harness.texts("It's been fine")
    assert "What would you like to work on now?" in text and "You planned to" not in text


async def test_back_inside_the_action_loop_returns_to_the_previous_action(harness: Harness) -> None:
    await after_session_one(harness)
    await harness.prompt("follow_up")
    await harness.say("OK")
    await harness.press("Done")
    back = await harness.texts("/back")
    assert "Book a 1:1 with each band 6" in back
    await harness.press("Partly")
    assert "What got in the way?" in harness.transport.texts_to("u1")[-1]


async def test_keeping_the_goal_asks_what_makes_it_still_right_and_can_be_skipped(harness: Harness) -> None:
    await after_session_one(harness)
    await harness.prompt("follow_up")
    await harness.say("Steady")
    await harness.press("Done")
    await harness.say("/skip")  # what helped
    await harness.press("Not yet")
    await harness.say("/skip")  # what got in the way
    await harness.say("/skip")  # what to try now
    assert "still the right goal for you?" in await harness.texts("keep it")
    assert "scale of 1 to 10" in await harness.texts("/skip")
