"""The caseload page: every coachee of the signed-in coach with status, next session, last check-in, latest reading
and its direction, actions due; those on hold first, with how long; nobody else's coachees; nothing kept private."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.storage import store
from flows.stepper import NewAction, RecordedAnswer
from tests.bot.web.site import Site, put_on_hold, shared_history, site

__all__ = ["site"]


def _rows(page: str) -> list[str]:
    return re.findall(r'<li class="person[^"]*">(.*?)</li>', page, flags=re.S)


async def test_the_caseload_lists_the_coachs_own_coachees_with_those_on_hold_first(site: Site) -> None:
    h = site.harness
    shared_history(site, h.coachee_id)
    bea = site.add_coachee(coach_id=h.coach_id, name="Bea Held", user="u2")
    put_on_hold(site, bea, at=site.clock() - timedelta(days=2, hours=3))
    quiet = site.add_coachee(coach_id=h.coach_id, name="Ann Private", user="u3", share=False)
    other = site.add_coach("Robin Other", "c2")
    site.add_coachee(coach_id=other, name="Pat Theirs", user="u4")
    site.clock.now += timedelta(days=8)  # after both readings and session 1; session 2 to come
    browser = await site.signed_in()
    status, _, page = await site.get(browser, "/coach/")
    assert status == 200 and re.search(r"<h1>[^<]*Caseload[^<]*</h1>", page)
    rows = _rows(page)
    assert [re.findall(r'<a href="/coach/coachees/\d+">([^<]+)</a>', r) for r in rows] == [
        ["Bea Held"], ["Ann Private"], ["Sam Jones"]]
    assert f'<a href="/coach/coachees/{bea}">Bea Held</a>' in rows[0]
    assert "on hold" in rows[0] and "for 10 days 3 hours" in rows[0]
    assert "Pat Theirs" not in page
    sam = rows[2]
    assert "6 out of 10, up from before" in sam and "Session 2" in sam
    assert "None shared yet" not in sam
    assert f'/coach/coachees/{quiet}"' in rows[1] and "chose not to share" in rows[1]


async def test_a_reading_or_check_in_kept_private_doesnt_count(site: Site) -> None:
    h = site.harness
    with h.app.db.begin() as conn:
        store.add_answers(conn, coachee_id=h.coachee_id, at=site.clock(), shared=True, answers=[
            RecordedAnswer(flow="checkin", run_id="a", question="scaling", text="3", scale=3)])
        store.add_answers(conn, coachee_id=h.coachee_id, at=site.clock() + timedelta(hours=1), shared=True, answers=[
            RecordedAnswer(flow="checkin", run_id="b", question="scaling", text="9", scale=9),
            RecordedAnswer(flow="checkin", run_id="b", question="helped", text="walks")])
        store.share_run(conn, coachee_id=h.coachee_id, run_id="b", private=["scaling", "helped"])
    browser = await site.signed_in()
    (sam,) = _rows((await site.get(browser, "/coach/"))[2])
    assert "3 out of 10" in sam and "9 out of 10" not in sam and "up from" not in sam


async def test_actions_due_count_from_the_status_the_coachee_shared(site: Site) -> None:
    h = site.harness
    today = site.clock().date()
    with h.app.db.begin() as conn:
        store.add_actions(conn, coachee_id=h.coachee_id, at=site.clock(), actions=[
            NewAction(run_id="p", text="Book 1:1s", due=today - timedelta(days=1)),
            NewAction(run_id="p", text="Draft agenda", due=today + timedelta(days=3)),
            NewAction(run_id="p", text="Someday", due=today + timedelta(days=30)),
            NewAction(run_id="p", text="Done one", due=today + timedelta(days=1))])
        done = max(a.id for a in store.actions_of(conn, h.coachee_id) if a.text == "Done one")
        store.add_answers(conn, coachee_id=h.coachee_id, at=site.clock(), shared=True, answers=[
            RecordedAnswer(flow="checkin", run_id="c", question=f"action_status.{done}", text="Done one: Done")])
    browser = await site.signed_in()
    (sam,) = _rows((await site.get(browser, "/coach/"))[2])
    assert re.search(r"Actions due</dt><dd>2, 1 past its date", sam)
