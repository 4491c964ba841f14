"""Crash test: `coachbot run` (Slack over HTTP, a real SQLite file) is killed with SIGKILL at random moments,
mid-conversation and mid-delivery, again and again; after each restart nothing accepted may be lost.

The oracle: the messages whose turns committed (their receipts are in the database) are replayed, in order,
through a fresh app that never crashes. The crashed database must hold exactly the answers the replay holds.
Every reply row must reach Slack; a reply may reach it twice only when a crash came between Slack accepting
it and the outbox recording that, so duplicates are bounded by the number of kills.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.config import Config, DatabaseConfig, LimitsConfig, load_config
from bot.storage import schema as t
from bot.storage import store
from bot.transports.memory import MemoryTransport
from bot.transports.slack import bare_commands, escape
from bot.types import ConversationKey, InboundMessage, Reply
from flows.stepper import ProfileChange
from tests.e2e.test_slack_e2e import (
    BOT_TOKEN,
    EVENTS_PATH,
    SIGNING_SECRET,
    clean_env,
    free_port,
    unescape,
    wait_until,
    write_config,
)
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.slack_signing import SlackRequestSigner, event_envelope, message_im_event

CYCLES = 55
SAM, SAM_DM, COACH = "U0SAM", "D0SAM", "U0COACH"
ANSWERS = ["4", "send", "journal", "no", "yes", "skip"]


def seed(config: Config) -> int:
    """A coach and an onboarded coachee on Slack, at the first question of session 1."""
    app = build_app(config)
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=app.engine.clock())
        store.add_identity(conn, transport="slack", external_id=COACH, coach_id=coach.id, chat_id="D0COACH")
        coachee = store.add_coachee(conn, coach_id=coach.id, name="Sam Jones", at=app.engine.clock())
        store.add_identity(conn, transport="slack", external_id=SAM, coachee_id=coachee.id, chat_id=SAM_DM)
        store.apply_profile(conn, coachee.id, [ProfileChange(field="consent_store", value="yes"),
                                               ProfileChange(field="consent_share", value="yes"),
                                               ProfileChange(field="timezone", value="Europe/London")])
    asyncio.run(app.engine.prompt(coachee.id, "pre_session"))
    app.db.dispose()
    return coachee.id


class Driver:
    """Sends Sam's messages as Slack would, remembering which ones the bot accepted (answered 200)."""

    def __init__(self, port: int, rng: random.Random) -> None:
        self.port = port
        self.rng = rng
        self.signer = SlackRequestSigner(SIGNING_SECRET)
        self.sent: list[tuple[str, str]] = []  # (message id, text), in order
        self.accepted: set[str] = set()
        self.n = 0

    def next_text(self) -> str:
        self.n += 1
        return self.rng.choice([f"answer {self.n}"] * 4 + ANSWERS)

    def send_until_refused(self, stop: threading.Event, count: int) -> None:
        """Send up to `count` messages, one after another, until the bot stops answering."""
        for _ in range(count):
            if stop.is_set():
                return
            text = self.next_text()
            ts = f"{1_800_000_000 + self.n}.{self.n:06d}"
            body = event_envelope(message_im_event(text, user=SAM, channel=SAM_DM, ts=ts), event_id=f"Ev{self.n:08d}")
            request = self.signer.json(body)
            message_id = f"{SAM_DM}:{ts}"
            self.sent.append((message_id, text))
            http = urllib.request.Request(f"http://127.0.0.1:{self.port}{EVENTS_PATH}", data=request.content,
                                          headers=request.headers, method="POST")
            try:
                with urllib.request.urlopen(http, timeout=10) as response:
                    if response.status == 200:
                        self.accepted.add(message_id)
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the process is gone


def start(config_path: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config_path), "run"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   cwd=config_path.parent, env=clean_env())

    def ready() -> bool:
        assert process.poll() is None, f"coachbot run exited early:\n{log.read_text(errors='replace')[-3000:]}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_until(ready, "coachbot run to listen")
    return process


def replay(messages: list[tuple[str, str]], tmp_path: Path) -> list[tuple[str, str, str | None]]:
    """The answers a never-crashing bot stores for these committed messages."""
    config = Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path / 'replay.db'}"),
                    limits=LimitsConfig(inbound_burst=1_000_000))
    coachee_id = seed(config)
    app = build_app(config)
    transport = MemoryTransport(name="slack")
    app.add_transport(transport)

    async def run() -> None:
        await transport.start(app.engine.handle)
        for message_id, text in messages:
            await transport.receive(InboundMessage(key=ConversationKey(transport="slack", user=SAM, chat=SAM_DM),
                                                   message_id=message_id, text=text, received_at=app.engine.clock()))

    asyncio.run(run())
    with app.db.connect() as conn:
        answers = [(a.flow, a.question, a.text) for a in store.answers_of(conn, coachee_id)]
    app.db.dispose()
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_kill_9_at_random_points_loses_no_accepted_answer_and_no_reply(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(20261121)
    with FakeSlack(token=BOT_TOKEN) as fake:
        port = free_port()
        config_path = write_config(tmp_path, fake, port)
        text = config_path.read_text(encoding="utf-8")
        sqlite_line = next(line for line in text.splitlines() if line.startswith("url = "))
        # Sam sends far faster than a person across the restarts: the inbound limit is out of the way here.
        config_path.write_text(text.replace(sqlite_line, f"url = {json.dumps(db_url)}")
                               + "\n[limits]\ninbound_burst = 1000000\n", encoding="utf-8")
        config = load_config(str(config_path))
        coachee_id = seed(config)
        log = tmp_path / "run.stderr"
        driver = Driver(port, rng)
        kills = 0
        for _ in range(CYCLES):
            process = start(config_path, port, log)
            stop = threading.Event()
            # A couple of messages per life, at Slack's pace of one reply a second, so the outbox keeps up.
            sender = threading.Thread(target=driver.send_until_refused, args=(stop, rng.randint(0, 3)))
            sender.start()
            time.sleep(rng.uniform(0.0, 1.5))  # kill during a turn, between turns, or while the outbox sends
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            kills += 1
            stop.set()
            sender.join(timeout=15)

        # One last start lets the outbox finish what was queued; then a clean stop.
        process = start(config_path, port, log)
        app = build_app(config, migrate=False)

        def drained() -> bool:
            with app.db.connect() as conn:
                return not store.outbox_rows(conn, statuses=["pending"])

        try:
            wait_until(drained, "the outbox to drain after the last restart", timeout=180)
        finally:
            with app.db.connect() as conn:
                for r in store.outbox_rows(conn, statuses=["pending"])[:5]:
                    print("PENDING", r.id, r.chat_id, r.attempts, r.next_attempt_at, r.last_error)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0

        with app.db.connect() as conn:
            receipts = {r.message_id for r in conn.execute(
                select(t.inbound_receipts.c.message_id).where(t.inbound_receipts.c.transport == "slack"))}
            answers = [(a.flow, a.question, a.text) for a in store.answers_of(conn, coachee_id)]
            rows = store.outbox_rows(conn, statuses=["pending", "sent", "dead"], limit=100_000)
        app.db.dispose()

        assert len(driver.accepted) >= CYCLES // 2, "the bot accepted too few messages for the test to mean anything"
        # Nothing accepted is lost: every message that got a 200 committed its turn.
        assert driver.accepted <= receipts
        # The crashed bot holds exactly what a bot that never crashed holds for the committed messages.
        committed = [(message_id, text) for message_id, text in driver.sent if message_id in receipts]
        assert answers == replay(committed, tmp_path)
        assert answers, "the conversation stored answers"
        # Every reply reached Slack; extra copies only from crashes between Slack's acceptance and our record.
        assert {r.status for r in rows} == {"sent"}
        posted = Counter(unescape(str(c.args.get("text", ""))) for c in fake.successful_calls_to("chat.postMessage")
                         if c.args.get("channel") == SAM_DM)
        expected = Counter(unescape(_text(r.payload)) for r in rows if r.chat_id == SAM_DM)
        missing = expected - posted
        assert not missing, f"replies never delivered: {missing}"
        duplicates = sum((posted - expected).values())
        assert duplicates <= kills
        (tmp_path / "figures.txt").write_text(
            f"cycles={CYCLES} kills={kills} sent={len(driver.sent)} accepted={len(driver.accepted)} "
            f"committed={len(committed)} answers={len(answers)} replies={sum(expected.values())} "
            f"duplicates={duplicates}\n")
        print((tmp_path / "figures.txt").read_text())


def _text(payload: str) -> str:
    """A reply row's text as the Slack transport posts it."""
    return escape(bare_commands(Reply.model_validate_json(payload).text))
