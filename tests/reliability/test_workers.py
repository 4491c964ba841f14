"""Two `coachbot run` workers (Slack over HTTP) on one PostgreSQL database, as behind a load balancer.

Each coachee's messages go to either worker at random, some to both (a redelivery landing on the other
worker). Every message must be handled once and in order, every reply sent once and in order, and the
scheduler's jobs, run by both workers, once each.
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
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from bot.app import build_app
from bot.config import Config, DatabaseConfig
from bot.planning import PlannedJob
from bot.storage import jobs as job_store
from bot.storage import outbox as outbox_rows
from bot.storage import schema as t
from bot.storage import store
from bot.storage.db import open_engine
from bot.types import ConversationKey
from flows.stepper import ProfileChange
from tests.conftest import PostgresServer, postgres_server
from tests.e2e.test_slack_e2e import (
    BOT_TOKEN,
    EVENTS_PATH,
    SIGNING_SECRET,
    clean_env,
    free_port,
    unescape,
    wait_until,
)
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.slack_signing import SlackRequestSigner, event_envelope, message_im_event

PEOPLE = 6
ANSWERS = ["goal", "why now", "from the session", "how I'll know", "the miracle", "the cost"]


def write_config(path: Path, *, db_url: str, fake: FakeSlack, port: int) -> Path:
    path.write_text(
        f"[database]\nurl = {json.dumps(db_url)}\n\n[console]\nenabled = false\n\n"
        f"[slack]\nenabled = true\nmode = \"http\"\nbot_token = {json.dumps(BOT_TOKEN)}\n"
        f"signing_secret = {json.dumps(SIGNING_SECRET)}\napi_base_url = {json.dumps(fake.base_url)}\n"
        f"listen = \"127.0.0.1\"\nport = {port}\npath = {json.dumps(EVENTS_PATH)}\n"
        "\n[http]\nport = 0\n", encoding="utf-8")  # health and metrics on a free port: workers side by side
    return path


def daytime_zone(now: datetime) -> str:
    """A time zone where it is daytime now, so the job isn't held for the morning whenever the test runs."""
    for name in ("Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles",
                 "Asia/Kolkata", "Europe/Moscow", "America/Sao_Paulo", "Pacific/Auckland", "Asia/Dubai"):
        if 9 <= now.astimezone(ZoneInfo(name)).hour < 19:
            return name
    raise AssertionError("some listed zone is always in daytime")


def seed(db_url: str) -> list[int]:
    """A coach and onboarded coachees at the first question of session 1, with a session booked in a week."""
    app = build_app(Config(database=DatabaseConfig(url=db_url)))
    now = datetime.now(UTC)
    ids = []
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=now)
        store.add_identity(conn, transport="slack", external_id="U0COACH", coach_id=coach.id, chat_id="D0COACH")
        for n in range(PEOPLE):
            coachee = store.add_coachee(conn, coach_id=coach.id, name=f"Person {n}", at=now)
            store.add_identity(conn, transport="slack", external_id=f"U0P{n}", coachee_id=coachee.id, chat_id=f"D0P{n}")
            store.apply_profile(conn, coachee.id, [ProfileChange(field="consent_store", value="yes"),
                                                   ProfileChange(field="consent_share", value="yes"),
                                                   ProfileChange(field="timezone", value=daytime_zone(now))])
            ids.append(coachee.id)
    for coachee_id in ids:
        asyncio.run(app.engine.prompt(coachee_id, "pre_session"))
    with app.db.begin() as conn:  # a job both workers will find due: one reminder each, before a session
        sessions = [store.add_session(conn, coachee_id=coachee_id, at=now + timedelta(days=7),
                                      timezone="Europe/London", number=1) for coachee_id in ids]
        job_store.add_jobs(conn, [PlannedJob(kind="reminder", due_at=now - timedelta(minutes=1),
                                             coachee_id=s.coachee_id, session_id=s.id) for s in sessions])
    app.db.dispose()
    return ids


def start(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "run"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                   cwd=config.parent, env=clean_env())

    def ready() -> bool:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_until(ready, f"worker on port {port} to listen")
    return process


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_on_one_postgresql_handle_each_message_and_job_once_and_in_order(
    db_url: str, tmp_path: Path
) -> None:
    ids = seed(db_url)
    rng = random.Random(7)
    signer = SlackRequestSigner(SIGNING_SECRET)
    with FakeSlack(token=BOT_TOKEN) as fake:
        ports = [free_port(), free_port()]
        workers = [start(write_config(tmp_path / f"w{n}.toml", db_url=db_url, fake=fake, port=port), port,
                         tmp_path / f"w{n}.log") for n, port in enumerate(ports)]
        try:
            def post(port: int, body: dict[str, object]) -> int:
                request = signer.json(body)
                http = urllib.request.Request(f"http://127.0.0.1:{port}{EVENTS_PATH}", data=request.content,
                                              headers=request.headers, method="POST")
                with urllib.request.urlopen(http, timeout=30) as response:
                    return int(response.status)

            def person(n: int, seed_: int) -> None:
                pick = random.Random(seed_)
                for i, answer in enumerate(ANSWERS):
                    ts = f"{1_800_000_000 + n * 100 + i}.000001"
                    body = event_envelope(message_im_event(f"{answer} of person {n}", user=f"U0P{n}",
                                                           channel=f"D0P{n}", ts=ts), event_id=f"Ev{n:02d}{i:02d}")
                    first = pick.choice(ports)
                    assert post(first, body) == 200
                    if pick.random() < 0.3:  # the same event again, landing on the other worker
                        assert post(ports[1 - ports.index(first)], body) == 200

            threads = [threading.Thread(target=person, args=(n, rng.randrange(10**6))) for n in range(PEOPLE)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)

            app = build_app(Config(database=DatabaseConfig(url=db_url)), migrate=False)

            def settled() -> bool:
                with app.db.connect() as conn:
                    pending = store.outbox_rows(conn, statuses=["pending"])
                    jobs = conn.execute(select(func.count()).select_from(t.jobs).where(
                        t.jobs.c.status.in_(["pending", "running"]), t.jobs.c.kind == "reminder",
                        t.jobs.c.due_at <= datetime.now(UTC))).scalar_one()
                return not pending and jobs == 0

            wait_until(settled, "both workers to deliver everything and run the due jobs", timeout=120)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            codes = [worker.wait(timeout=30) for worker in workers]
        assert codes == [0, 0]

        with app.db.connect() as conn:
            for n, coachee_id in enumerate(ids):
                stored = [(a.question, a.text) for a in store.answers_of(conn, coachee_id) if a.flow == "pre_session"]
                assert [text for _, text in stored] == [f"{answer} of person {n}" for answer in ANSWERS]
            receipts = conn.execute(select(func.count()).select_from(t.inbound_receipts)).scalar_one()
            checkins = Counter(r.coachee_id for r in conn.execute(
                select(t.outbox.c.coachee_id).where(t.outbox.c.kind == "prompt")))
            rows = store.outbox_rows(conn, statuses=["sent"], limit=10_000)
            notes = [(j.kind, j.status, j.note) for j in job_store.jobs_of(conn) if j.due_at <= datetime.now(UTC)]
        app.db.dispose()
        assert all(status == "done" for kind, status, _ in notes if kind == "reminder"), notes
        assert receipts == PEOPLE * len(ANSWERS)  # each message handled once, redeliveries ignored
        # Each person: the session-1 questions and one reminder, whichever worker ran the job.
        assert all(checkins[coachee_id] == 2 for coachee_id in ids), checkins
        for n in range(PEOPLE):
            chat = f"D0P{n}"
            posted = [unescape(str(c.args.get("text", ""))) for c in fake.successful_calls_to("chat.postMessage")
                      if c.args.get("channel") == chat]
            expected = [unescape(_text(r.payload)) for r in sorted(rows, key=lambda r: r.id) if r.chat_id == chat]
            assert posted == expected  # every reply once, in the order written, whichever worker sent it


def _text(payload: str) -> str:
    from bot.transports.slack import bare_commands, escape
    from bot.types import Reply

    return escape(bare_commands(Reply.model_validate_json(payload).text))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_locks_on_one_chat_do_not_reach_into_another_schema(db_url: str) -> None:
    """Advisory locks belong to the whole database: two deployments in one database, each in its own schema,
    must not hold back each other's chats (the same chat id is likely: both run the same transport)."""
    server = postgres_server()
    assert isinstance(server, PostgresServer)
    other_schema, other_url = server.new_schema()
    here, there = open_engine(db_url), open_engine(other_url)
    key = ConversationKey(transport="memory", user="u1", chat="u1")
    try:
        with here.connect() as holder, there.connect() as other, here.connect() as rival:
            assert outbox_rows.try_chat_lock(holder, transport="memory", chat="u1")
            assert outbox_rows.try_chat_lock(other, transport="memory", chat="u1")  # another schema: free
            assert not outbox_rows.try_chat_lock(rival, transport="memory", chat="u1")  # this schema: held
            for conn in (holder, other, rival):
                conn.commit()  # session locks outlive the transaction; the conversation lock needs a fresh one
            with holder.begin(), other.begin():
                store.lock_conversation(holder, key)
                other.execute(text("SET LOCAL lock_timeout = '2s'"))  # a shared key would fail here, not hang
                store.lock_conversation(other, key)
            for conn in (holder, other):
                outbox_rows.release_chat_locks(conn)
                conn.commit()
    finally:
        here.dispose()
        there.dispose()
        server.drop_later(other_schema)
