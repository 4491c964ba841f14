"""A coachee's page: exactly what they shared, session by session, the goal, the readings as a chart and a table,
safety events without words; never an answer kept private. Opening it is recorded, and their /mydata says so.
Another coach's coachee, an erased one and a made-up id all get the same "not found"."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from bot.storage.coach_views import views_of
from bot.storage.erasure import erase_coachee
from tests.bot.web.site import PRIVATE, SHARED_GOAL, Site, put_on_hold, shared_history, site

__all__ = ["site"]


async def test_the_page_shows_what_was_shared_and_never_what_was_kept_private(site: Site) -> None:
    h = site.harness
    shared_history(site, h.coachee_id)
    put_on_hold(site, h.coachee_id, at=site.clock() + timedelta(days=8))
    site.clock.now += timedelta(days=9)
    browser = await site.signed_in()
    status, _, page = await site.get(browser, f"/coach/coachees/{h.coachee_id}")
    assert status == 200
    assert re.search(r"<h1>Sam Jones</h1>", page)
    assert PRIVATE not in page and "leaving nursing" not in page
    assert SHARED_GOAL in page and "Sam kept 1 answer private." in page
    trend = re.search(r'<figure id="trend">(.*?)</figure>', page, flags=re.S)
    assert trend is not None
    img = re.search(r'<img src="/coach/coachees/(\d+)/chart.svg" alt="([^"]+)"', trend.group(1))
    assert img is not None and img.group(1) == str(h.coachee_id) and "4 on 2 Nov (pre-session)" in img.group(2)
    table = re.search(r'<table class="readings">(.*?)</table>', page, flags=re.S)
    assert table is not None
    assert re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", table.group(1)) == [("2 Nov 2026", "4"),
                                                                                  ("9 Nov 2026", "6")]
    safety = re.search(r'<table class="safety">(.*?)</table>', page, flags=re.S)
    assert safety is not None and "crisis" in safety.group(1) and "coaching put on hold" in safety.group(1)
    assert "Session 1" in page and "Session 2" in page and 'href="/coach/coachees/1/resume"' in page

    async with browser.get(site.base + img.group(0).split('"')[1], allow_redirects=False) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
        svg = await r.text()
    assert "<svg" in svg and PRIVATE not in svg


async def test_a_coachee_who_shares_nothing_shows_only_the_safety_record(site: Site) -> None:
    h = site.harness
    ann = site.add_coachee(coach_id=h.coach_id, name="Ann Private", user="u3", share=False)
    shared_history(site, ann)
    browser = await site.signed_in()
    status, _, page = await site.get(browser, f"/coach/coachees/{ann}")
    assert status == 200 and "chose not to share" in page
    assert SHARED_GOAL not in page and PRIVATE not in page and 'id="trend"' not in page
    assert (await site.get(browser, f"/coach/coachees/{ann}/chart.svg"))[0] == 404


async def test_each_view_is_recorded_and_the_coachee_sees_it_in_mydata(site: Site) -> None:
    h = site.harness
    browser = await site.signed_in()
    assert (await site.get(browser, f"/coach/coachees/{h.coachee_id}"))[0] == 200
    with h.app.db.connect() as conn:
        (view,) = views_of(conn, h.coachee_id)
    assert (view.coach_id, view.coach, view.at) == (h.coach_id, "Alex Coach", site.clock())
    (reply,) = await h.say("/mydata")
    assert "Your coach, Alex Coach, viewed your page in the coach's web view on 2 November 2026, 09:00." in reply.text
    assert reply.attachment is not None
    exported = json.loads(reply.attachment.data)["coach_views"]
    assert [v["coach"] for v in exported] == ["Alex Coach"]


async def test_another_coachs_coachee_an_erased_one_and_a_made_up_id_are_all_not_found(site: Site) -> None:
    h = site.harness
    shared_history(site, h.coachee_id)
    other = site.add_coach("Robin Other", "c2")
    pat = site.add_coachee(coach_id=other, name="Pat Theirs", user="u4")
    shared_history(site, pat)
    gone = site.add_coachee(coach_id=h.coach_id, name="Gus Gone", user="u5")
    shared_history(site, gone)
    with h.app.db.begin() as conn:
        erase_coachee(conn, gone)
    browser = await site.signed_in()
    answers = {}
    for who in (str(pat), str(gone), "999999", "abc", "-1", "9" * 40):
        for suffix in ("", "/chart.svg", "/resume"):
            status, _, page = await site.get(browser, f"/coach/coachees/{who}{suffix}")
            answers[(who, suffix)] = (status, page)
    assert {status for status, _ in answers.values()} == {404}
    assert len({page for _, page in answers.values()}) == 1
    (page,) = {page for _, page in answers.values()}
    assert "Not found" in page and "Pat" not in page and "Gus" not in page
    with h.app.db.connect() as conn:
        assert views_of(conn, pat) == []
