"""Acceptance: `coachbot run` in its own process with Slack in HTTP mode serves /healthz, /readyz and /metrics on
127.0.0.1; a coachee's turn (a properly signed Slack request) moves the counters and leaves no trace of them in
the metrics; and when the database becomes unavailable /readyz answers 503.

The outage is real on both databases: on SQLite another process holds the write lock, as a backup might; on
PostgreSQL the bot reaches the server through a TCP relay on 127.0.0.1 that the test then shuts, as a network
partition would.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.bot.ops.scrape import foreign_labels, value
from tests.e2e.test_slack_e2e import (
    BOT_TOKEN,
    COACH,
    EVENTS_PATH,
    SAM,
    SAM_DM,
    SIGNING_SECRET,
    WAIT,
    RunningBot,
    clean_env,
    coachbot,
    free_port,
    last_line,
    wait_until,
)
from tests.transports.helpers.fake_slack import FakeSlack

JsonDict = dict[str, Any]
SAM_WORDS = "I'd like to get better at saying no to extra projects"


class Relay:
    """A TCP relay on 127.0.0.1 to a PostgreSQL server; `cut` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=WAIT)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept; a close alone leaves it listening
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.fixture
def database(db_url: str) -> Iterator[tuple[str, Relay | None]]:
    """The bot's database URL: the SQLite file, or the test's PostgreSQL schema by way of a relay."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        yield db_url, None
        return
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False), relay
    finally:
        relay.cut()


def write_config(tmp_path: Path, *, db_url: str, fake: FakeSlack, slack_port: int, http_port: int) -> Path:
    path = tmp_path / "coachbot.toml"
    path.write_text(
        f"[database]\nurl = {json.dumps(db_url)}\n"
        "\n[console]\nenabled = false\n"
        "\n[slack]\nenabled = true\nmode = \"http\"\n"
        f"bot_token = {json.dumps(BOT_TOKEN)}\nsigning_secret = {json.dumps(SIGNING_SECRET)}\n"
        f"api_base_url = {json.dumps(fake.base_url)}\n"
        f"listen = \"127.0.0.1\"\nport = {slack_port}\npath = {json.dumps(EVENTS_PATH)}\n"
        f"\n[http]\nenabled = true\nlisten = \"127.0.0.1\"\nport = {http_port}\noutbox_stuck_after = \"PT5M\"\n",
        encoding="utf-8",
    )
    return path


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=WAIT) as response:
            return int(response.status), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8")


def test_coachbot_run_serves_health_readiness_and_metrics_until_the_database_goes(
    tmp_path: Path, fake_slack: FakeSlack, database: tuple[str, Relay | None],
) -> None:
    db_url, relay = database
    slack_port, http_port = free_port(), free_port()
    config = write_config(tmp_path, db_url=db_url, fake=fake_slack, slack_port=slack_port, http_port=http_port)
    coach_id = last_line(coachbot(config, "coach", "add", "--name", "Alex Coach", "--slack-id", COACH))
    code = last_line(coachbot(config, "invite", "--coach", coach_id))
    fake_slack.users[SAM] = {"real_name": "Sam Jones", "profile": {"real_name": "Sam Jones", "display_name": "sam"}}

    stderr_path = tmp_path / "run.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--config", str(config), "run"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path, env=clean_env(COACHBOT_LOG_LEVEL="INFO"))
    bot = RunningBot(config=config, fake=fake_slack, process=process, stderr_path=stderr_path, port=slack_port)
    try:
        def running() -> bool:
            if process.poll() is not None:
                pytest.fail(f"coachbot run exited {process.returncode} before it was ready:\n{bot.stderr}")
            return "coachbot running: slack" in bot.stderr

        wait_until(running, "coachbot run to say it is running")

        assert get(http_port, "/healthz") == (200, '{"status": "ok"}')
        status, body = get(http_port, "/readyz")
        assert status == 200, body
        ready = json.loads(body)
        assert ready["status"] == "ok"
        assert {name: check["ok"] for name, check in ready["checks"].items()} == {
            "database": True, "migrations": True, "outbox": True, "transport.slack": True}

        # One coachee's turns, signed as Slack signs them: joining, then their own words.
        welcome = bot.exchange(f"join {code}", "Shall we start?")
        assert "Hello Sam" in welcome
        since = len(bot.posts(SAM_DM))
        bot.say(SAM_WORDS, user=SAM, channel=SAM_DM)
        bot.expect(SAM_DM, since)

        status, metrics = get(http_port, "/metrics")
        assert status == 200
        assert value(metrics, "coachbot_turns_total", transport="slack", tier="none") >= 2
        assert value(metrics, "coachbot_turn_seconds_count", transport="slack") >= 2
        assert value(metrics, "coachbot_screen_seconds_count") >= 2
        assert value(metrics, "coachbot_outbox_deliveries_total", transport="slack", outcome="sent") >= 2
        assert value(metrics, "coachbot_database_up") == 1
        assert foreign_labels(metrics, transports=frozenset({"slack", "unrouted"})) == []
        for personal in (SAM_WORDS, "saying no", "Sam", "Jones", "Alex", SAM, SAM_DM, COACH, code):
            assert personal not in metrics, f"{personal!r} is in /metrics"

        # The database becomes unavailable: not ready, and says which check failed.
        holder: sqlite3.Connection | None = None
        if relay is None:
            path = make_url(db_url).database
            assert path
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
        else:
            relay.cut()
        try:
            status, body = get(http_port, "/readyz")
            assert status == 503, body
            down = json.loads(body)
            assert down["status"] == "unavailable" and down["checks"]["database"]["ok"] is False, body
            assert down["checks"]["transport.slack"]["ok"] is True
            assert get(http_port, "/healthz")[0] == 200  # the process itself is still up
        finally:
            if holder is not None:
                holder.execute("ROLLBACK")
                holder.close()
    finally:
        bot.stop()
