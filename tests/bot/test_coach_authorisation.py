"""A coach learns nothing about another coach's coachee: every coach command, by name and by id, answers exactly
as it does for someone who doesn't exist, changes nothing about them and sends them nothing."""

from __future__ import annotations

from bot.commands import COMMANDS
from bot.storage import groups as gstore
from bot.storage import store
from tests.conftest import Harness

OTHER_COACH = "c2"
GROUP = "Night leads"
NOBODY_NAME = "Quinn Nobody"
MAKES_SOMETHING_NEW = frozenset({"groupnew", "invite", "web"})
"""Commands that name nobody and make a new group, code or sign-in link each time, so no two answers are alike."""


def _arguments(word: str, person: str) -> str:
    """The command's text with `person` where it names a coachee (or in a group's name, for the group commands
    that name no one, so an id is never read as a group's id)."""
    if word in ("groupadd", "groupleave", "group", "groupnew"):
        return f"{GROUP} {person}"
    if word == "schedule":
        return f"{person} tomorrow 10:00"
    return person


async def _other_coach_with_a_group(harness: Harness) -> int:
    with harness.app.db.begin() as conn:
        coach = store.add_coach(conn, name="Robin Other", at=harness.app.engine.clock())
        store.add_identity(conn, transport="memory", external_id=OTHER_COACH, coach_id=coach.id)
        store.add_coachee(conn, coach_id=coach.id, name="Pat Own", at=harness.app.engine.clock())
        # Sam (the harness's coachee, Alex Coach's) is on a safety hold: a reply must not give that away either.
        store.set_coachee_status(conn, harness.coachee_id, "hold")
    assert "Created Night leads" in await harness.texts(f"/groupnew {GROUP}", user=OTHER_COACH)
    return coach.id


async def test_every_coach_command_answers_about_someone_elses_coachee_as_about_nobody(harness: Harness) -> None:
    await _other_coach_with_a_group(harness)
    sam = harness.coachee_id
    with harness.app.db.connect() as conn:
        made_up = max(c.id for c in store.list_coachees(conn)) + 1000
    sent_to_sam = len(harness.transport.replies_to(harness.coachee_user))
    coach_words = sorted({c.word for c in COMMANDS if c.audience == "coach"})
    assert {"coachees", "digest", "resume", "schedule", "groupadd", "groupleave", "group"} <= set(coach_words)

    for word in coach_words:
        for slash in ("/", ""):  # Slack's bare words go the same way
            if word in MAKES_SOMETHING_NEW:
                made = await harness.texts(slash + word + " " + _arguments(word, str(sam)), user=OTHER_COACH)
                assert "Sam" not in made and "hold" not in made.lower(), word
                continue
            by_id = await harness.texts(slash + word + " " + _arguments(word, str(sam)), user=OTHER_COACH)
            by_made_up_id = await harness.texts(slash + word + " " + _arguments(word, str(made_up)), user=OTHER_COACH)
            assert by_id == by_made_up_id.replace(str(made_up), str(sam)), word
            for name in ("Sam Jones", "Sam"):
                by_name = await harness.texts(slash + word + " " + _arguments(word, name), user=OTHER_COACH)
                by_nobody = await harness.texts(slash + word + " " + _arguments(word, NOBODY_NAME), user=OTHER_COACH)
                assert by_name == by_nobody.replace(NOBODY_NAME, name), (word, name)

    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, sam).status == "hold"  # no coach but Sam's own lifts it
        assert all(m.coachee_id != sam for g in gstore.list_groups(conn) for m in gstore.members_of(conn, g.id))
        assert store.list_sessions(conn, coachee_id=sam) == []
    assert len(harness.transport.replies_to(harness.coachee_user)) == sent_to_sam  # nothing was sent to Sam


async def test_a_coach_still_finds_their_own_coachee_by_name_and_by_id(harness: Harness) -> None:
    await _other_coach_with_a_group(harness)
    with harness.app.db.connect() as conn:
        (pat,) = [c for c in store.list_coachees(conn) if c.name == "Pat Own"]
    assert f"Pat Own (id {pat.id})" in await harness.texts("/coachees", user=OTHER_COACH)
    assert "Sam" not in await harness.texts("/coachees", user=OTHER_COACH)
    assert "Pat Own" in await harness.texts(f"/resume {pat.id}", user=OTHER_COACH)
    assert "Pat Own" in await harness.texts("/digest Pat", user=OTHER_COACH)
    # Sam's own coach sees Sam, on hold, and lifts it.
    assert "Sam Jones (id" in await harness.texts("/coachees", user=harness.coach_user)
    assert "Sam Jones" in await harness.texts("/resume Sam", user=harness.coach_user)
    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, harness.coachee_id).status == "active"
