"""The command line contract: ids as the last line, --json, exit 2 with one line on errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cfg(tmp_path: Path) -> str:
    path = tmp_path / "coachbot.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n')
    return str(path)


def run(cfg: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--config", cfg, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_coaches_coachees_sessions_and_invites(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(cfg, "coach", "add", "--name", "Alex Coach", "--telegram-id", "111", capsys=capsys)
    assert code == 0
    coach_id = last_line(out)
    code, out, _ = run(cfg, "coachee", "add", "--coach", coach_id, "--name", "Sam Jones", "--slack-id", "U1",
                       capsys=capsys)
    coachee_id = last_line(out)
    code, out, _ = run(cfg, "coachee", "list", "--json", capsys=capsys)
    (row,) = json.loads(out)
    assert row["id"] == int(coachee_id) and row["coach_id"] == int(coach_id)
    assert row["name"] == "Sam Jones" and row["status"] == "active" and row["transport"] == "slack"
    code, out, _ = run(cfg, "coach", "list", "--json", capsys=capsys)
    assert json.loads(out) == [{"id": int(coach_id), "name": "Alex Coach", "transports": ["telegram"]}]
    code, out, _ = run(cfg, "session", "add", "--coachee", coachee_id, "--at", "2026-12-01T10:00", capsys=capsys)
    assert code == 0 and last_line(out).isdigit()
    code, out, _ = run(cfg, "session", "list", "--coachee", coachee_id, "--json", capsys=capsys)
    (session,) = json.loads(out)
    assert session["number"] == 1 and session["at"] == "2026-12-01T10:00:00+00:00"
    code, out, _ = run(cfg, "invite", "--coach", coach_id, capsys=capsys)
    code_line = last_line(out)
    assert f"/start {code_line}" in out and len(code_line) >= 16


def test_usage_and_missing_records_exit_2_with_one_line(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["coachee", "add", "--name", "X"], ["coachee", "add", "--coach", "99", "--name", "X"],
                 ["session", "add", "--coachee", "1", "--at", "soon"], ["frobnicate"],
                 ["prompt", "--coachee", "1", "--flow", "nope"]):
        code, _out, err = run(cfg, *args, capsys=capsys)
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1, (args, err)
        assert "Traceback" not in err


def test_prompt_starts_a_flow_into_the_outbox(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(cfg, "coach", "add", "--name", "Alex", capsys=capsys)
    _, out, _ = run(cfg, "coachee", "add", "--coach", last_line(out), "--name", "Sam", "--telegram-id", "5",
                    capsys=capsys)
    coachee = last_line(out)
    code, _, err = run(cfg, "prompt", "--coachee", coachee, "--flow", "pre_session", capsys=capsys)
    assert code == 2 and "hasn't finished onboarding" in err
    code, _, _ = run(cfg, "prompt", "--coachee", coachee, "--flow", "onboarding", capsys=capsys)
    assert code == 0
    from bot.config import load_config
    from bot.storage import store
    from bot.storage.db import open_engine

    engine = open_engine(load_config(cfg).database.url)
    with engine.connect() as conn:
        (row,) = store.outbox_rows(conn, statuses=["pending"])
    assert row.transport == "telegram" and row.chat_id == "5" and "Hello Sam" in row.payload


def test_db_upgrade(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(cfg, "db", "upgrade", capsys=capsys)
    assert code == 0 and "up to date" in out


def _coachbot(*args: str, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COACHBOT_CONFIG"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_chat_in_a_real_process_greets_and_exits_0_on_eof(tmp_path: Path) -> None:
    done = _coachbot("chat", "--name", "Robin", stdin="hello\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Hello Robin" in done.stdout and "not a crisis service" in done.stdout
    assert (tmp_path / "coachbot.db").exists()


@pytest.mark.slow
def test_a_scripted_terminal_session_runs_session_one_to_the_review_and_the_digest_honours_it(
    tmp_path: Path,
) -> None:
    script = (Path(__file__).parent / "scripts" / "session_one.txt").read_text(encoding="utf-8")
    done = _coachbot("chat", "--name", "Robin", stdin=script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.index("Shall we start?") < out.index("keep your answers") < out.index("time zone")
    order = ["What would you like to work on", "why now", "first session with Demo Coach", "was useful",
             "miracle has happened", "cost you", "outweigh", "scale of 1 to 10", "did something similar well",
             "strengths", "someone you respect", "talk to them", "anything else you'd like Demo Coach to know",
             "exactly what Demo Coach will see",
             "Which answer would you like to keep private", "stays private", "Sent."]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions)
    summary = out[out.index("exactly what Demo Coach will see"):out.index("Which answer")]
    assert "Lead calmer meetings" in summary and "nervous about the restructure" in summary
    assert "What it might cost" not in summary  # skipped, so nothing to show

    digest = _coachbot("digest", "--coachee", "1", stdin="", cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    shown = digest.stdout
    for answer in ("Lead calmer meetings", "first band 7 role", "A plan for the first team meeting",
                   "people speak up", "audit huddle", "Patience and preparation", "listened first"):
        assert answer in shown
    assert "restructure" not in shown
    assert "kept 1 answer private" in shown
    assert "- Readings: 4 (" in shown and ", pre-session)" in shown

    # --chart writes the PNG as well, and prints the same digest.
    chart = tmp_path / "chart.png"
    drawn = _coachbot("digest", "--coachee", "1", "--chart", str(chart), stdin="", cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout == shown and drawn.stderr == ""
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") >= 800  # IHDR width
    for args, complaint in (
        (["--coachee", "1", "--chart", str(tmp_path / "missing" / "chart.png")], "can't write the chart to"),
        (["--coachee", "1", "--chart", str(tmp_path)], "can't write the chart to"),
        (["--coachee", "99", "--chart", str(chart)], "no coachee with id 99"),
        (["--coachee", "99999999999999999999999", "--chart", str(chart)], "no such id"),
        (["--coachee", "Robin"], "not an id"),
    ):
        failed = _coachbot("digest", *args, stdin="", cwd=tmp_path)
        assert failed.returncode == 2 and failed.stdout == "", args
        assert len(failed.stderr.strip().splitlines()) == 1 and complaint in failed.stderr, failed.stderr
    assert chart.read_bytes() == png  # a failed command left the earlier chart alone


def test_chat_resumes_after_a_restart(tmp_path: Path) -> None:
    _coachbot("chat", "--name", "Robin", stdin="hello\nyes\nyes\nyes\nLondon\n", cwd=tmp_path)
    done = _coachbot("chat", "--name", "Robin", stdin="Lead calmer meetings\n", cwd=tmp_path)
    assert "why now" in done.stdout


def test_quit_ends_the_chat(tmp_path: Path) -> None:
    done = _coachbot("chat", stdin="/quit\nhello\n", cwd=tmp_path)
    assert done.returncode == 0 and "Shall we start?" not in done.stdout  # the banner only: "hello" never read
    assert "/quit or Ctrl-D leaves" in done.stdout


def test_run_in_a_terminal_shows_a_banner_before_reading_anything_and_keeps_warnings_out_of_the_chat(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COACHBOT_CONFIG"}
    chat = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)})
    assert chat.stdout is not None and chat.stdin is not None
    try:
        first = [chat.stdout.readline() for _ in range(7)]  # nothing typed yet: the banner is already there
    finally:
        out, err = chat.communicate("/quit\n", timeout=120)
    banner = "".join(first)
    assert banner.startswith("coachbot, in a terminal chat.")
    assert "not a crisis service" in banner and "999" in banner and "/quit or Ctrl-D" in banner
    assert "coachbot.log" in banner
    assert chat.returncode == 0
    # The first run generates a key and warns about it: into the log file, not between the bot's lines.
    assert "WARNING" not in banner + out + err
    log = tmp_path / "coachbot.log"
    assert "no encryption key configured" in log.read_text(encoding="utf-8")
    assert log.stat().st_mode & 0o777 == 0o600


def test_outbox_lists_what_is_waiting_and_dead_letters_but_never_their_text(
    cfg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.config import load_config
    from bot.outbox import OutboxSender
    from bot.storage.db import open_engine
    from bot.transports.base import DeliveryError
    from bot.transports.memory import MemoryTransport
    from bot.turn import utc_now

    _, out, _ = run(cfg, "coach", "add", "--name", "Alex", capsys=capsys)
    _, out, _ = run(cfg, "coachee", "add", "--coach", last_line(out), "--name", "Sam", "--telegram-id", "5",
                    capsys=capsys)
    run(cfg, "prompt", "--coachee", last_line(out), "--flow", "onboarding", capsys=capsys)
    code, out, _ = run(cfg, "outbox", "--dead", "--json", capsys=capsys)
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(cfg, "outbox", "--json", capsys=capsys)
    (waiting,) = json.loads(out)
    assert waiting["status"] == "pending" and waiting["next_attempt"] is not None

    platform = MemoryTransport("telegram")
    platform.fail_next(DeliveryError("Telegram: Bad Request: chat not found", permanent=True))
    sender = OutboxSender(db=open_engine(load_config(cfg).database.url), transports={"telegram": platform},
                          clock=utc_now)
    asyncio.run(sender.deliver_due())

    code, out, _ = run(cfg, "outbox", "--dead", "--json", capsys=capsys)
    assert code == 0
    (dead,) = json.loads(out)
    assert set(dead) == {"id", "kind", "transport", "chat", "status", "attempts", "next_attempt", "last_error",
                         "created"}
    assert (dead["id"], dead["kind"], dead["transport"], dead["chat"]) == (waiting["id"], "prompt", "telegram", "5")
    assert dead["status"] == "dead" and dead["attempts"] == 1 and dead["next_attempt"] is None
    assert "chat not found" in dead["last_error"]
    assert "Hello Sam" not in out
    code, out, _ = run(cfg, "outbox", capsys=capsys)
    assert code == 0 and out.startswith(f"{dead['id']}\tprompt\ttelegram\t5\tdead\t") and "Hello" not in out


def test_coachee_export_prints_everything_as_json_and_erase_needs_yes(
    cfg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.config import load_config
    from bot.storage import store
    from bot.storage.db import open_engine
    from bot.turn import utc_now
    from flows.stepper import RecordedAnswer

    _, out, _ = run(cfg, "coach", "add", "--name", "Alex", capsys=capsys)
    coach = last_line(out)
    _, out, _ = run(cfg, "coachee", "add", "--coach", coach, "--name", "Robin Quill", "--telegram-id", "8812",
                    capsys=capsys)
    robin = last_line(out)
    _, out, _ = run(cfg, "coachee", "add", "--coach", coach, "--name", "Sam Other", capsys=capsys)
    sam = last_line(out)
    run(cfg, "session", "add", "--coachee", robin, "--at", "2026-12-01T10:00", capsys=capsys)
    engine = open_engine(load_config(cfg).database.url)
    with engine.begin() as conn:
        for who, words in ((robin, "Robin's own goal"), (sam, "Sam's own goal")):
            store.add_answers(conn, coachee_id=int(who), at=utc_now(), shared=False, answers=[
                RecordedAnswer(flow="pre_session", run_id="r1", question="goal", text=words)])
    engine.dispose()

    code, out, err = run(cfg, "coachee", "export", robin, capsys=capsys)
    assert code == 0 and err == ""
    export = json.loads(out)
    assert export["profile"]["name"] == "Robin Quill" and export["identities"][0]["user_id"] == "8812"
    assert [a["text"] for a in export["answers"]] == ["Robin's own goal"]
    assert [s["number"] for s in export["sessions"]] == [1]
    assert "Sam" not in out

    code, out, err = run(cfg, "coachee", "erase", robin, capsys=capsys)
    assert code == 2 and "--yes" in err and len(err.strip().splitlines()) == 1 and out == ""
    assert run(cfg, "coachee", "export", robin, capsys=capsys)[0] == 0  # nothing was erased

    code, out, _ = run(cfg, "coachee", "erase", robin, "--yes", "--json", capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert report["id"] == int(robin) and report["deleted"]["coachees"] == 1 and report["deleted"]["answers"] == 1
    assert report["deleted"]["sessions"] == 1 and report["deleted"]["identities"] == 1
    code, out, _ = run(cfg, "coachee", "list", "--json", capsys=capsys)
    assert [row["name"] for row in json.loads(out)] == ["Sam Other"]
    code, _, err = run(cfg, "coachee", "export", robin, capsys=capsys)
    assert code == 2 and f"no coachee with id {robin}" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(cfg, "coachee", "erase", robin, "--yes", capsys=capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, out, _ = run(cfg, "coachee", "export", sam, capsys=capsys)
    assert code == 0 and [a["text"] for a in json.loads(out)["answers"]] == ["Sam's own goal"]
    code, out, _ = run(cfg, "coachee", "erase", sam, "--yes", capsys=capsys)
    assert code == 0 and out.startswith(f"erased coachee {sam}: ")


def test_a_name_too_long_for_the_database_is_refused(cfg: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(cfg, "coach", "add", "--name", "x" * 201, capsys=capsys)
    assert code == 2 and out == "" and err.strip() == "--name: give a name of 1 to 200 characters"
    code, out, _ = run(cfg, "coach", "add", "--name", "  Alex   Coach ", capsys=capsys)
    assert code == 0
    code, out, _ = run(cfg, "coach", "list", "--json", capsys=capsys)
    assert json.loads(out)[0]["name"] == "Alex Coach"
