"""`coachbot coachee move`: the coachee's whole history goes to the new coach, access moves at once, waiting mail
follows, and the coachee, the new coach and the old coach are each told; refusals are one line, exit 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, DatabaseConfig, LimitsConfig, SafetyConfig
from bot.storage import schema as t
from bot.storage import store
from bot.storage.erasure import export_coachee
from tests.conftest import Clock, Harness, MarkerScreener, make_harness, onboard

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def write_cfg(tmp_path: Path, db_url: str, extra: str = "") -> str:
    path = tmp_path / "coachbot.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n{extra}')
    return str(path)


@pytest.fixture
def cfg(db_url: str, tmp_path: Path) -> str:
    return write_cfg(tmp_path, db_url)


def cli(cfg: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", cfg, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def started(config: Config, screener: MarkerScreener, monkeypatch: pytest.MonkeyPatch) -> tuple[Harness, int]:
    """The harness (coach Alex, c1; coachee Sam, u1) onboarded, with a second coach, Jo (c2)."""
    clock = Clock(NOW)
    monkeypatch.setattr("bot.cli._now", clock)
    h = make_harness(config, screener)
    h.use_clock(clock)
    await h.transport.start(h.app.engine.handle)
    await onboard(h)
    with h.app.db.begin() as conn:
        jo = store.add_coach(conn, name="Jo Bloggs", at=NOW)
        store.add_identity(conn, transport="memory", external_id="c2", coach_id=jo.id)
    return h, jo.id


def history(h: Harness) -> dict[str, object]:
    """What is held about the coachee, less what a move is meant to change (the coach's name, mail)."""
    with h.app.db.connect() as conn:
        exported = json.loads(export_coachee(conn, h.coachee_id, now=NOW).to_json())
    for key in ("exported_at", "messages"):
        exported.pop(key)
    exported["profile"].pop("coach")
    return exported


async def test_a_move_takes_the_history_and_access_to_the_new_coach_and_everyone_is_told(
    cfg: str, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, jo = await started(config, screener, monkeypatch)
    assert cli(cfg, capsys, "session", "add", "--coachee", str(h.coachee_id), "--at", "2027-03-10T10:00")[0] == 0
    await h.say("I want to lead calmer meetings")
    # A crisis message whose alert to Alex has not gone out yet when the operator moves Sam.
    await h.transport.receive(h.transport.message("u1", "[crisis] I can't go on"))
    before = history(h)
    assert before["sessions"] and before["answers"] and before["safety_events"]

    code, out, err = cli(cfg, capsys, "coachee", "move", str(h.coachee_id), "--coach", str(jo))
    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    assert lines[-1] == str(h.coachee_id)
    assert "moved Sam Jones (coachee 1) from Alex Coach (coach 1) to Jo Bloggs (coach 2)" in lines[0]
    assert "re-addressed to Jo Bloggs: 1" in out and "told: coachee, new coach, old coach" in out
    assert history(h) == before  # nothing lost, nothing changed but the coach

    await h.app.outbox.deliver_due()
    to_jo, to_alex = h.transport.texts_to("c2"), h.transport.texts_to("c1")
    assert any(t.startswith("Safety alert for Sam Jones") for t in to_jo)
    assert not any(t.startswith("Safety alert") for t in to_alex)
    (taken,) = [t for t in to_jo if "is now on your caseload" in t]
    assert "moved from Alex Coach" in taken and "safety hold" in taken and "/resume Sam Jones" in taken
    assert "Sam Jones has moved to Jo Bloggs's caseload" in to_alex[-1]
    told = h.transport.texts_to("u1")[-1]  # after the reply to their message, which named the coach they had then
    assert "your coach is Jo Bloggs, in place of Alex Coach" in told and "/shared" in told
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).coach_id == jo
        delivered = conn.execute(t.safety_events.select().where(t.safety_events.c.action == "crisis_hold")).first()
    assert delivered is not None and delivered.alert_delivered  # the alert reached Jo, and the record says so

    # The old coach can no longer reach Sam; the new coach can.
    for command in ("/digest Sam", "/resume Sam"):
        assert "couldn't find a coachee of yours called Sam" in await h.texts(command, user="c1")
    assert await h.texts("/coachees", user="c1") == "You have no coachees yet."
    assert "Sam Jones (id 1): hold" in await h.texts("/coachees", user="c2")
    assert (await h.texts("/digest Sam", user="c2")).startswith("# Digest for Jo Bloggs: Sam Jones")
    assert "Sam Jones's coaching is back on" in await h.texts("/resume Sam", user="c2")
    assert any("Jo Bloggs has picked your coaching back up" in t for t in h.transport.texts_to("u1")[-2:])
    h.app.engine.close()
    h.app.db.dispose()


async def test_a_waiting_digest_is_rebuilt_for_the_new_coach(
    cfg: str, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, jo = await started(config, screener, monkeypatch)
    assert cli(cfg, capsys, "digest", "--coachee", str(h.coachee_id), "--send")[0] == 0  # waits for Alex
    code, out, _ = cli(cfg, capsys, "coachee", "move", str(h.coachee_id), "--coach", str(jo), "--json")
    assert code == 0
    assert json.loads(out) == {"id": h.coachee_id, "coach_id": jo, "from_coach_id": h.coach_id, "readdressed": 0,
                               "digests": 1, "told": ["coachee", "new coach", "old coach"]}
    await h.app.outbox.deliver_due()
    assert [t for t in h.transport.texts_to("c2") if t.startswith("# Digest")] == [
        t for t in h.transport.texts_to("c2") if t.startswith("# Digest for Jo Bloggs: Sam Jones")]
    assert any(t.startswith("# Digest for Jo Bloggs") for t in h.transport.texts_to("c2"))
    assert not any(t.startswith("# Digest") for t in h.transport.texts_to("c1"))
    h.app.engine.close()
    h.app.db.dispose()


async def test_a_safeguarding_contact_who_was_the_coach_keeps_a_waiting_alert_and_the_new_coach_gets_it_too(
    db_url: str, tmp_path: Path, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Config(database=DatabaseConfig(url=db_url), limits=LimitsConfig(inbound_burst=1_000_000),
                    safety=SafetyConfig(alert="coach+safeguarding", safeguarding_contact="1"))
    cfg = write_cfg(tmp_path, db_url, '[safety]\nalert = "coach+safeguarding"\nsafeguarding_contact = "1"\n')
    h, jo = await started(config, screener, monkeypatch)
    await h.transport.receive(h.transport.message("u1", "[crisis] I can't go on"))
    assert cli(cfg, capsys, "coachee", "move", str(h.coachee_id), "--coach", str(jo))[0] == 0
    await h.app.outbox.deliver_due()
    for coach in ("c1", "c2"):
        assert sum(t.startswith("Safety alert for Sam Jones") for t in h.transport.texts_to(coach)) == 1, coach
    h.app.engine.close()
    h.app.db.dispose()


async def test_refusals_are_one_line_and_change_nothing(
    cfg: str, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, jo = await started(config, screener, monkeypatch)
    before = history(h)
    for args, says in (
        (["coachee", "move", str(h.coachee_id), "--coach", str(h.coach_id)], "is already coach 1's"),
        (["coachee", "move", str(h.coachee_id), "--coach", "99"], "no coach with id 99"),
        (["coachee", "move", "99", "--coach", str(jo)], "no coachee with id 99"),
        (["coachee", "move", "x", "--coach", str(jo)], "not an id"),
        (["coachee", "move", str(h.coachee_id)], "--coach"),
    ):
        code, out, err = cli(cfg, capsys, *args)
        assert (code, out) == (2, ""), args
        assert len(err.strip().splitlines()) == 1 and says in err, (args, err)
    assert history(h) == before
    with h.app.db.connect() as conn:
        assert store.get_coachee(conn, h.coachee_id).coach_id == h.coach_id
    # An erased coachee is no one to move.
    assert cli(cfg, capsys, "coachee", "erase", str(h.coachee_id), "--yes")[0] == 0
    code, _, err = cli(cfg, capsys, "coachee", "move", str(h.coachee_id), "--coach", str(jo))
    assert code == 2 and err.strip() == f"coachbot: no coachee with id {h.coachee_id}"
    h.app.engine.close()
    h.app.db.dispose()


async def test_someone_who_left_or_never_talked_to_the_bot_is_not_written_to(
    cfg: str, config: Config, screener: MarkerScreener, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, jo = await started(config, screener, monkeypatch)
    with h.app.db.begin() as conn:
        new = store.add_coachee(conn, coach_id=h.coach_id, name="Kim Lee", at=NOW)
        store.add_identity(conn, transport="memory", external_id="u2", coachee_id=new.id)
        store.set_coachee_status(conn, h.coachee_id, "stopped")
    code, out, _ = cli(cfg, capsys, "coachee", "move", str(new.id), "--coach", str(jo))
    assert code == 0 and "not the coachee: they haven't talked to the bot yet" in out
    code, out, _ = cli(cfg, capsys, "coachee", "move", str(h.coachee_id), "--coach", str(jo))
    assert code == 0 and "not the coachee: they have left the programme" in out
    sent_to_sam = len(h.transport.texts_to("u1"))
    await h.app.outbox.deliver_due()
    assert h.transport.texts_to("u2") == [] and len(h.transport.texts_to("u1")) == sent_to_sam
    assert sum("is now on your caseload" in t for t in h.transport.texts_to("c2")) == 2
    h.app.engine.close()
    h.app.db.dispose()
