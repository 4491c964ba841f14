"""The facilitator's peer-group pages: the plan, who has presented, and the commitments shared with them; another
coach's group is "not found", like a made-up one."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage import groups as gstore
from tests.bot.test_groups import GROUP_FLOWS, LEAD, GroupTest, add_lead, add_person
from tests.bot.web.site import Site, site

__all__ = ["site"]

MEMBERS = {"kim": "Kim Lee", "ash": "Ash Patel", "jo": "Jo Brown"}
COMMITMENT = "ask two colleagues before the next handover"


async def test_a_facilitator_sees_the_plan_who_presented_and_the_commitments_shared(site: Site) -> None:
    h = site.harness
    site.clock.now = datetime(2026, 9, 28, 8, 0, tzinfo=UTC)
    lead = add_lead(h)
    ids = {user: add_person(h, user, name) for user, name in MEMBERS.items()}
    await h.say("/groupnew Ward leaders from 2026-10-06T10:00", user=LEAD)
    with h.app.db.connect() as conn:
        (group,) = gstore.list_groups(conn, coach_id=lead)
    g = GroupTest(h=h, clock=site.clock, lead_id=lead, group=group, ids=ids)
    await g.invite(*MEMBERS)
    for user in MEMBERS:
        await g.member(user, "yes")
    await g.until("group_prep", number=1)
    while (position := g.position("kim")) is not None and position[0] in GROUP_FLOWS:
        await g.member("kim", "yes" if position[1] == "share_with_group" else f"kim {position[1]}")
    await g.until("group_commit", number=1)
    while (position := g.position("kim")) is not None and position[0] in GROUP_FLOWS:
        await g.member("kim", COMMITMENT if position[1] == "commitments" else "yes")

    browser = await site.signed_in(user=LEAD)
    status, _, listing = await site.get(browser, "/coach/groups")
    assert status == 200 and f'<a href="/coach/groups/{group.id}">Ward leaders</a>' in listing
    status, _, page = await site.get(browser, f"/coach/groups/{group.id}")
    assert status == 200 and "<h1>Ward leaders</h1>" in page
    assert "<td>1</td>" in page and "Kim Lee" in page and "Ash Patel" in page and "Closing session" in page
    presented = page.split("Who has presented")[1].split("Commitments shared with you")[0]
    assert "Session 1: Kim Lee" in presented and "Ash Patel" not in presented
    assert COMMITMENT in page.split("Commitments shared with you")[1]

    sams_coach = await site.signed_in()  # Alex Coach leads no group
    status, _, theirs = await site.get(sams_coach, f"/coach/groups/{group.id}")
    status_made_up, _, made_up = await site.get(sams_coach, "/coach/groups/999999")
    assert status == status_made_up == 404 and theirs == made_up and "Ward leaders" not in theirs
    _, _, mine = await site.get(sams_coach, "/coach/groups")
    assert "Ward leaders" not in mine and "don't facilitate" in mine
