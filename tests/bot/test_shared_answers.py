"""/shared: a coachee sees which of their answers their coach can see, and changes any one of them, through the
engine on a real SQLite file (and PostgreSQL)."""

from __future__ import annotations

import re

from bot.digest import build_digest
from bot.shared_answers import SHOWN
from bot.storage import store
from bot.storage.shared_items import answer_items, set_answer_shared
from tests.conftest import Harness, onboard
from tests.flows.test_post_session import record_actions
from tests.flows.test_pre_session import ANSWERS, LATER, answer_up_to_review


def _digest_text(h: Harness) -> str:
    with h.app.db.connect() as conn:
        return build_digest(conn, coachee_id=h.coachee_id, flows=h.app.flows.registry, now=h.app.engine.clock(),
                            chart=False, default_timezone="Europe/London").text


def _lines(listing: str) -> list[tuple[int, str, str]]:
    """Each listed answer: its number, its text, and what the list says about who sees it."""
    return [(int(n), text, state) for n, text, state in re.findall(
        r"^(\d+)\. [^:]+: (.+) \((shared with Alex Coach|private)\)$", listing, flags=re.M)]


def _numbered(listing: str) -> dict[str, tuple[int, str]]:
    """Answer text → (its number, who sees it), for answers whose text is unique in the list."""
    return {text: (number, state) for number, text, state in _lines(listing)}


async def _session_one_sent_with_one_private(h: Harness) -> None:
    await onboard(h)
    await answer_up_to_review(h)
    await h.press("Keep one private")
    await h.press("Anything else")
    await h.press("Send to Alex Coach")


async def test_shared_lists_each_answer_with_who_sees_it(harness: Harness) -> None:
    await _session_one_sent_with_one_private(harness)
    listing = await harness.texts("/shared")
    items = _numbered(listing)
    assert items[ANSWERS["goal"]][1] == "shared with Alex Coach"
    assert items[LATER["anything_else"]][1] == "private"
    assert re.search(r"^Before your first session, \w{3} \d{1,2} \w{3}:$", listing, flags=re.M)  # grouped by run
    assert "/shared " in listing  # how to change one


async def test_changing_an_answer_takes_it_out_of_the_digest_and_back(harness: Harness) -> None:
    await _session_one_sent_with_one_private(harness)
    assert ANSWERS["miracle"] in _digest_text(harness)
    number, _ = _numbered(await harness.texts("/shared"))[ANSWERS["miracle"]]
    reply = await harness.texts(f"/shared {number}")
    assert "no longer sees" in reply and ANSWERS["miracle"] not in reply.split("\"")[0]
    assert ANSWERS["miracle"] not in _digest_text(harness)
    assert _numbered(await harness.texts("/shared"))[ANSWERS["miracle"]] == (number, "private")
    assert "can now see" in await harness.texts(f"/shared {number}")
    assert ANSWERS["miracle"] in _digest_text(harness)
    # A private answer can be shared afterwards, too.
    private, _ = _numbered(await harness.texts("/shared"))[LATER["anything_else"]]
    await harness.say(f"/shared {private}")
    assert LATER["anything_else"] in _digest_text(harness)


async def test_a_number_that_isnt_theirs_or_isnt_a_number_gets_a_kind_reply(harness: Harness) -> None:
    await _session_one_sent_with_one_private(harness)
    with harness.app.db.connect() as conn:
        before = [(a.id, a.shared) for a in answer_items(conn, harness.coachee_id)]
    for attempt in ("/shared 999", "/shared 0", "/shared banana", "/shared -1"):
        assert "can't find an answer numbered" in await harness.texts(attempt)
    with harness.app.db.connect() as conn:
        assert [(a.id, a.shared) for a in answer_items(conn, harness.coachee_id)] == before


async def test_one_coachee_can_never_change_anothers_answer(harness: Harness) -> None:
    await _session_one_sent_with_one_private(harness)
    with harness.app.db.begin() as conn:
        other = store.add_coachee(conn, name="Other Person", coach_id=store.get_coachee(
            conn, harness.coachee_id).coach_id, at=harness.app.engine.clock())
        mine = answer_items(conn, harness.coachee_id)[0]
        assert set_answer_shared(conn, coachee_id=other.id, answer_id=mine.id, shared=False) is False
    with harness.app.db.connect() as conn:
        assert answer_items(conn, harness.coachee_id)[0].shared is True


async def test_a_coachee_who_shares_nothing_is_told_so_and_cant_share_one_by_accident(harness: Harness) -> None:
    await onboard(harness, share=False)
    await answer_up_to_review(harness)
    listing = await harness.texts("/shared")
    assert "chose not to send Alex Coach your answers" in listing
    assert _lines(listing) and all(state == "private" for _, _, state in _lines(listing))
    assert "chose not to send" in await harness.texts("/shared 1")
    assert ANSWERS["goal"] not in _digest_text(harness)


async def test_with_nothing_stored_it_says_so(harness: Harness) -> None:
    await onboard(harness)
    assert "no answers of yours stored yet" in await harness.texts("/shared")


async def test_the_latest_answers_are_listed_and_all_shows_every_one(harness: Harness) -> None:
    await _session_one_sent_with_one_private(harness)
    await record_actions(harness, [("Book a 1:1 with each band 6", "friday")], share="No")
    with harness.app.db.connect() as conn:
        total = len([a for a in answer_items(conn, harness.coachee_id) if a.text])
    assert total > SHOWN
    short, everything = await harness.texts("/shared"), await harness.texts("/shared all")
    assert len(_lines(short)) == SHOWN and f"latest {SHOWN} of {total}" in short
    assert _numbered(everything)["Night shifts make it hard to catch people"][1] == "private"  # said no
    assert [n for n, _, _ in _lines(everything)] == list(range(1, total + 1))
    assert [n for n, _, _ in _lines(short)] == list(range(total - SHOWN + 1, total + 1))  # the same numbers


async def test_shared_works_on_a_safety_hold(harness: Harness) -> None:
    await _session_one_sent_with_one_private(harness)
    await harness.say("[crisis]")
    listing = await harness.texts("/shared")
    assert _numbered(listing)[ANSWERS["goal"]][1] == "shared with Alex Coach"
    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, harness.coachee_id).status == "hold"
