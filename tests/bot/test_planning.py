"""Calendar arithmetic in the coachee's own time zone, across the UK clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import ScheduleConfig
from bot.planning import (
    checkin_allowed,
    job_flow,
    morning_if_night,
    next_checkin,
    next_monday,
    post_session_flow,
    pre_session_flow,
    session_jobs,
    wall_shift,
)
from bot.storage.records import Session

LONDON = ZoneInfo("Europe/London")


def session(number: int, at: datetime, *, status: str = "planned") -> Session:
    return Session(id=number, coachee_id=1, number=number, at=at.astimezone(UTC), timezone="Europe/London",
                   status=status)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def test_three_days_before_is_the_same_wall_clock_time_across_both_uk_clock_changes() -> None:
    # Clocks go back on Sunday 25 October 2026 and forward on Sunday 28 March 2027.
    autumn = wall_shift(local(2026, 10, 27, 10, 0), LONDON, -timedelta(days=3))
    spring = wall_shift(local(2027, 3, 30, 10, 0), LONDON, -timedelta(days=3))
    assert autumn.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 24, 10, 0)
    assert spring.astimezone(LONDON).replace(tzinfo=None) == datetime(2027, 3, 27, 10, 0)
    assert autumn == datetime(2026, 10, 24, 9, 0, tzinfo=UTC)  # BST, an hour ahead of UTC
    assert spring == datetime(2027, 3, 27, 10, 0, tzinfo=UTC)  # GMT


def test_session_jobs_come_at_local_times_and_only_for_upcoming_sessions() -> None:
    sessions = [session(1, local(2026, 10, 27, 10, 0)), session(2, local(2026, 11, 10, 10, 0), status="cancelled")]
    jobs = {j.kind: j.due_at.astimezone(LONDON) for j in
            session_jobs(sessions, coachee_id=1, schedule=ScheduleConfig(), zone=LONDON)}
    assert jobs["pre_session"] == local(2026, 10, 24, 10, 0)
    assert jobs["digest"] == local(2026, 10, 26, 10, 0)
    assert jobs["post_session"] == local(2026, 10, 27, 12, 0)
    assert local(2026, 10, 24, 10, 0) < jobs["reminder"] < local(2026, 10, 27, 10, 0)
    assert len(session_jobs(sessions, coachee_id=1, schedule=ScheduleConfig(), zone=LONDON)) == 4


def test_check_ins_skip_weekends_the_days_around_a_session_and_outside_the_programme() -> None:
    sessions = [session(1, local(2026, 11, 2, 10, 0)), session(2, local(2026, 11, 23, 10, 0))]
    schedule = ScheduleConfig(checkin_every=timedelta(days=2), checkin_time=time(10, 0))
    found = []
    after = local(2026, 11, 1, 0, 0)
    while (nxt := next_checkin(sessions, after=after, schedule=schedule, zone=LONDON)) is not None:
        found.append(nxt.astimezone(LONDON))
        after = nxt
    assert found, "a three-week programme has check-ins"
    for moment in found:
        assert moment.time() == time(10, 0)
        assert moment.weekday() < 5
        assert all(abs(moment - s.at) >= timedelta(hours=48) for s in sessions)
        assert sessions[0].at < moment < sessions[1].at
    assert checkin_allowed(local(2026, 11, 7, 10, 0), sessions, schedule=schedule, zone=LONDON) == "weekend"
    assert checkin_allowed(local(2026, 11, 3, 10, 0), sessions, schedule=schedule, zone=LONDON) == (
        "within 48 hours of a session")
    assert checkin_allowed(local(2026, 11, 30, 10, 0), sessions, schedule=schedule, zone=LONDON) == (
        "after the programme ends")
    weekends = ScheduleConfig(checkin_every=timedelta(days=2), checkin_weekends=True)
    assert checkin_allowed(local(2026, 11, 7, 10, 0), sessions, schedule=weekends, zone=LONDON) is None


def test_a_message_due_at_night_waits_for_the_morning() -> None:
    assert morning_if_night(local(2026, 11, 20, 23, 30), LONDON) == local(2026, 11, 21, 8, 0)
    assert morning_if_night(local(2026, 11, 20, 3, 0), LONDON) == local(2026, 11, 20, 8, 0)
    assert morning_if_night(local(2026, 11, 20, 14, 0), LONDON) is None


def test_the_caseload_goes_out_on_mondays() -> None:
    monday = next_monday(local(2026, 11, 20, 9, 0), clock=time(8, 0), zone=LONDON)
    assert monday == local(2026, 11, 23, 8, 0)
    assert next_monday(monday, clock=time(8, 0), zone=LONDON) == local(2026, 11, 30, 8, 0)


def test_which_questions_come_before_which_session() -> None:
    sessions = [session(n, local(2026, 11, 2, 10, 0) + timedelta(weeks=n)) for n in range(1, 5)]
    assert [pre_session_flow(s, sessions) for s in sessions] == [
        "pre_session", "follow_up", "follow_up", "follow_up"]
    # after each session, the actions until the next; after the last, the review of the whole programme
    assert [post_session_flow(s, sessions) for s in sessions] == [
        "post_session", "post_session", "post_session", "final_review"]
    assert [job_flow("post_session", s, sessions[:2]) for s in sessions[:2]] == ["post_session", "final_review"]
    assert job_flow("reminder", sessions[1], sessions[:2]) == "follow_up"
    assert job_flow("digest", sessions[1], sessions) is None and job_flow("checkin", None, sessions) == "checkin"
    # one session: goals before it, the review after it
    assert (pre_session_flow(sessions[0], sessions[:1]), post_session_flow(sessions[0], sessions[:1])) == (
        "pre_session", "final_review")
