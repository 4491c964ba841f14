"""Lifting a hold from the coachee's page: a confirmation with a labelled note, a form that needs its CSRF token,
then exactly what /resume does (the coachee is told), the note kept, and the page shows them active again."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.storage import store
from bot.storage.coach_views import hold_notes_of
from tests.bot.web.site import Site, csrf_of, put_on_hold, site

__all__ = ["site"]

NOTE = "Spoke by phone on Tuesday; agreed to carry on gently."


async def test_lifting_a_hold_from_the_page_does_what_resume_does_and_keeps_the_note(site: Site) -> None:
    h = site.harness
    await h.say("hello")  # Sam has a conversation, so there is a chat to tell them in
    put_on_hold(site, h.coachee_id, at=site.clock())
    site.clock.now += timedelta(hours=5)
    browser = await site.signed_in()
    path = f"/coach/coachees/{h.coachee_id}/resume"
    status, _, form = await site.get(browser, path)
    assert status == 200
    label = re.search(r'<label for="(\w+)">[^<]+</label>', form)
    assert label is not None and re.search(rf'<textarea id="{label.group(1)}" name="note"', form)
    assert re.search(r"<button type=\"submit\">[^<]*Lift the hold[^<]*</button>", form)
    told_before = len(h.transport.replies_to(h.coachee_user))

    assert (await site.post(browser, path, {"note": NOTE}))[0] == 403
    assert (await site.post(browser, path, {"note": NOTE, "csrf": "f" * 64}))[0] == 403
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == "hold" and hold_notes_of(conn, h.coachee_id) == []

    status, location, _ = await site.post(browser, path, {"note": NOTE, "csrf": csrf_of(form)})
    assert status == 303 and location == f"/coach/coachees/{h.coachee_id}?done=lifted"
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == "active"
        (note,) = hold_notes_of(conn, h.coachee_id)
        events = store.safety_events_of(conn, h.coachee_id, since=None)
    assert (note.note, note.coach_id, note.at) == (NOTE, h.coach_id, site.clock())
    assert events[-1].action == "on_hold_reply_lifted"
    await h.app.outbox.deliver_due()
    told = h.transport.replies_to(h.coachee_user)[told_before:]
    assert told and "Alex Coach" in told[0].text

    status, _, page = await site.get(browser, location)
    assert status == 200 and re.search(r'<dd id="status"><span class="status status-active">active</span>', page)
    assert "hold is lifted" in page and "Lift the hold" not in page

    status, location, _ = await site.post(browser, path, {"csrf": csrf_of(form)})
    assert (status, location) == (303, f"/coach/coachees/{h.coachee_id}?done=not_held")


async def test_another_coach_cant_lift_a_hold_and_learns_nothing(site: Site) -> None:
    h = site.harness
    put_on_hold(site, h.coachee_id, at=site.clock())
    site.add_coach("Robin Other", "c2")
    browser = await site.signed_in(user="c2")
    _, _, page = await site.get(browser, "/coach/")
    token = csrf_of(page)
    theirs = await site.post(browser, f"/coach/coachees/{h.coachee_id}/resume", {"csrf": token, "note": "x"})
    made_up = await site.post(browser, "/coach/coachees/999999/resume", {"csrf": token, "note": "x"})
    assert theirs[0] == made_up[0] == 404 and theirs[2] == made_up[2]
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).status == "hold" and hold_notes_of(conn, h.coachee_id) == []
