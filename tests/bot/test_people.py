"""`coachbot coach remove|rename` and `coachbot coachee rename`: the change is seen everywhere at once, and a
removal that would leave anyone without a coach is refused with one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Config
from bot.storage import store
from tests.bot.test_transfer import NOW, cli, started, write_cfg
from tests.conftest import MarkerScreener


async def test_a_coach_is_removed_only_once_nobody_depends_on_them_and_their_invites_die_with_them(
    db_url: str, tmp_path: Path, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = write_cfg(tmp_path, db_url, '[safety]\nsafeguarding_contact = "3"\n')
    h, jo = await started(config, screener, monkeypatch)
    alex = str(h.coach_id)
    with h.app.db.begin() as conn:
        safe = store.add_coach(conn, name="Safe Guard", at=NOW)
        invite = store.create_invite(conn, coach_id=h.coach_id, at=NOW, valid_for=NOW - NOW.replace(year=2026))
    assert safe.id == 3
    code, out, err = cli(cfg, capsys, "coach", "remove", alex)
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert "coach 1 (Alex Coach) still has 1 coachee (id 1); move them first" in err
    code, _, err = cli(cfg, capsys, "coach", "remove", "3")
    assert code == 2 and "is the safeguarding contact (safety.safeguarding_contact" in err
    assert cli(cfg, capsys, "group", "create", "--coach", str(jo), "--name", "Ward leaders")[0] == 0
    code, _, err = cli(cfg, capsys, "coach", "remove", str(jo))
    assert code == 2 and "leads the peer group Ward leaders (group 1), which would be left without a coach" in err
    for args, says in ((["coach", "remove", "99"], "no coach with id 99"), (["coach", "remove", "x"], "not an id")):
        code, _, err = cli(cfg, capsys, *args)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1

    assert cli(cfg, capsys, "coachee", "move", str(h.coachee_id), "--coach", str(jo))[0] == 0
    code, out, _ = cli(cfg, capsys, "coach", "remove", alex, "--json")
    assert code == 0
    removed = json.loads(out)
    assert removed["id"] == h.coach_id and removed["deleted"]["identities"] == 1 and removed["deleted"]["invites"] == 1
    assert removed["deleted"]["outbox"] >= 1  # the notice that Sam moved, never delivered, goes with them
    code, out, _ = cli(cfg, capsys, "coach", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["Jo Bloggs", "Safe Guard"]
    # Alex is now no one to the bot: no coach commands, and the unused invite doesn't let anyone join.
    assert (await h.texts("/coachees", user="c1")).startswith("Hello, I'm coachbot, the front door")
    reply = await h.texts(f"/start {invite}", user="stranger")
    assert "that invite code didn't work" in reply
    with h.app.db.connect() as conn:
        assert [c.name for c in store.list_coachees(conn)] == ["Sam Jones"]
    h.app.engine.close()
    h.app.db.dispose()


async def test_renames_are_seen_at_once_and_bad_names_are_refused(
    db_url: str, tmp_path: Path, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = write_cfg(tmp_path, db_url)
    h, _jo = await started(config, screener, monkeypatch)
    code, out, _ = cli(cfg, capsys, "coach", "rename", str(h.coach_id), "--name", "  Alex   Morgan ")
    assert code == 0 and out.strip().splitlines() == ["coach 1 is now Alex Morgan", "1"]
    code, out, _ = cli(cfg, capsys, "coachee", "rename", str(h.coachee_id), "--name", "Sam Smith")
    assert code == 0 and out.strip().splitlines() == ["coachee 1 is now Sam Smith", "1"]
    code, out, _ = cli(cfg, capsys, "coachee", "rename", str(h.coachee_id), "--name", "Sam Smith")
    assert code == 0 and "already called Sam Smith; nothing changed" in out
    assert "Sam Smith (id 1)" in await h.texts("/coachees", user="c1")
    assert (await h.texts("/digest Sam", user="c1")).startswith("# Digest for Alex Morgan: Sam Smith")
    for args, says in (
        (["coach", "rename", str(h.coach_id), "--name", "   "], "give a name of 1 to 200 characters"),
        (["coachee", "rename", str(h.coachee_id), "--name", "\u200b\u202e"], "not only invisible or control"),
        (["coachee", "rename", str(h.coachee_id), "--name", "x" * 201], "give a name of 1 to 200 characters"),
        (["coachee", "rename", str(h.coachee_id)], "--name"),
        (["coachee", "rename", "99", "--name", "Kim"], "no coachee with id 99"),
        (["coach", "rename", "99", "--name", "Kim"], "no coach with id 99"),
    ):
        code, out, err = cli(cfg, capsys, *args)
        assert (code, out) == (2, ""), args
        assert len(err.strip().splitlines()) == 1 and says in err, (args, err)
    with h.app.db.connect() as conn:
        assert (store.get_coach(conn, h.coach_id).name, store.get_coachee(conn, h.coachee_id).name) == (
            "Alex Morgan", "Sam Smith")
    assert cli(cfg, capsys, "coachee", "erase", str(h.coachee_id), "--yes")[0] == 0
    code, _, err = cli(cfg, capsys, "coachee", "rename", str(h.coachee_id), "--name", "Sam")
    assert code == 2 and err.strip() == f"coachbot: no coachee with id {h.coachee_id}"
    h.app.engine.close()
    h.app.db.dispose()
