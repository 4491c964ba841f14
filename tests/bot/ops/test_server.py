"""The operations server over real HTTP on 127.0.0.1: /healthz, /readyz with each check, /metrics, more routes,
and when `serve` runs it at all."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.config import Config, HttpConfig, SlackConfig
from bot.storage import store
from bot.storage.db import alembic_config
from bot.transports.memory import MemoryTransport
from bot.transports.slack import SlackTransport
from bot.types import ConversationKey, Reply
from tests.conftest import Harness, MarkerScreener
from tests.transports.helpers.fake_slack import FakeSlack

JsonDict = dict[str, Any]


@pytest.fixture
def http_config(config: Config) -> Config:
    return config.model_copy(update={"http": HttpConfig(port=0)})


@pytest.fixture
async def served(http_config: Config, screener: MarkerScreener) -> AsyncIterator[Harness]:
    from tests.conftest import make_harness

    h = make_harness(http_config, screener)
    await h.transport.start(h.app.engine.handle)
    await h.app.http.start()
    try:
        yield h
    finally:
        await h.app.http.stop()
        h.app.engine.close()
        h.app.db.dispose()


async def get(h: Harness, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{h.app.http.port}{path}") as r:
        return r.status, r.headers.get("Content-Type", ""), await r.text()


async def ready(h: Harness) -> tuple[int, JsonDict]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{h.app.http.port}/readyz") as response:
        return response.status, await response.json()


class Deaf(MemoryTransport):
    """A platform transport whose connection has dropped."""

    def receiving(self) -> bool:
        return False


async def test_healthz_says_the_process_is_up(served: Harness) -> None:
    status, kind, body = await get(served, "/healthz")
    assert (status, kind.split(";")[0], body) == (200, "application/json", '{"status": "ok"}')


async def test_readyz_is_200_with_every_check_passing(served: Harness) -> None:
    status, body = await ready(served)
    assert status == 200
    assert body == {"status": "ok", "checks": {
        "database": {"ok": True, "detail": "reachable"},
        "migrations": {"ok": True, "detail": "current"},
        "outbox": {"ok": True, "detail": "nothing waiting"},
        "transport.memory": {"ok": True, "detail": "receiving"},
    }}


async def test_readyz_is_503_when_the_outbox_is_stuck(served: Harness) -> None:
    app = served.app
    now = app.engine.clock()
    with app.db.begin() as conn:  # a reply no platform has taken for ten minutes
        store.add_outbox(conn, to=ConversationKey(transport="memory", user="u1", chat="u1"),
                         replies=[Reply(text="Sam, how did it go?")], kind="reply", at=now - timedelta(minutes=10),
                         coachee_id=served.coachee_id)
    status, body = await ready(served)
    assert status == 503 and body["status"] == "unavailable"
    outbox = body["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["detail"].startswith("stuck: the oldest undelivered message has waited 6")
    assert "(limit 300 s)" in outbox["detail"]
    assert all(check["ok"] for name, check in body["checks"].items() if name != "outbox")
    assert "Sam" not in str(body)

    await app.outbox.deliver_due()  # delivered: no longer stuck
    assert (await ready(served))[0] == 200


async def test_a_recent_undelivered_message_is_not_stuck(served: Harness) -> None:
    app = served.app
    with app.db.begin() as conn:
        store.add_outbox(conn, to=ConversationKey(transport="memory", user="u1", chat="u1"),
                         replies=[Reply(text="hi")], kind="reply", at=app.engine.clock() - timedelta(minutes=4),
                         coachee_id=None)
    status, body = await ready(served)
    assert status == 200
    assert body["checks"]["outbox"]["detail"].startswith("oldest undelivered message waited 2")


async def test_readyz_is_503_when_a_platform_is_not_receiving(served: Harness) -> None:
    served.app.add_transport(Deaf("slack"))
    status, body = await ready(served)
    assert status == 503
    assert body["checks"]["transport.slack"] == {
        "ok": False, "detail": "not receiving (not connected, not listening, or polling failing)"}
    assert body["checks"]["transport.memory"]["ok"] is True


async def test_readyz_checks_only_the_platforms_serve_names(served: Harness) -> None:
    served.app.add_transport(Deaf("console"))
    served.app.http.readiness.platforms = ("memory",)  # as `coachbot run` does: the terminal chat is no platform
    status, body = await ready(served)
    assert status == 200 and "transport.console" not in body["checks"]


async def test_readyz_is_503_when_the_schema_is_behind(served: Harness) -> None:
    db = served.app.db
    script = ScriptDirectory.from_config(alembic_config(db))
    older = next(iter(script.walk_revisions())).down_revision
    assert isinstance(older, str)
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
    status, body = await ready(served)
    assert status == 503
    assert body["checks"]["migrations"] == {"ok": False,
                                            "detail": "not at the latest migration (run coachbot db upgrade)"}
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.sqlite_only
async def test_readyz_is_503_while_another_process_holds_the_database(served: Harness) -> None:
    path = make_url(str(served.app.db.url)).database
    assert path
    served.app.http.readiness.within = 0.5
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # as a backup or a long migration might
    try:
        status, body = await ready(served)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 503
    assert body["checks"]["database"]["ok"] is False  # the lock's wait ran out, or (on a busy machine) the check's
    assert body["checks"]["database"]["detail"] in ("unavailable (OperationalError)", "no answer within 0.5 s")
    assert "migrations" not in body["checks"]
    assert (await ready(served))[0] == 200  # released: ready again


async def test_metrics_are_served_in_prometheus_text_format(served: Harness) -> None:
    status, kind, body = await get(served, "/metrics")
    assert (status, kind) == (200, "text/plain; version=0.0.4; charset=utf-8")
    assert "coachbot_database_up 1.0" in body
    assert "# TYPE coachbot_turns_total counter" in body


async def test_more_routes_join_the_same_server_before_it_starts(http_config: Config,
                                                                 screener: MarkerScreener) -> None:
    app = build_app(http_config, screener=screener)

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="coach view")

    app.http.add_routes([web.get("/coach/caseload", page)])
    await app.http.start()
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{app.http.port}"
            async with session.get(f"{base}/coach/caseload") as response:
                assert (response.status, await response.text()) == (200, "coach view")
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200
        with pytest.raises(RuntimeError, match="before the HTTP server starts"):
            app.http.add_routes([web.get("/late", page)])
    finally:
        await app.http.stop()
        app.engine.close()
        app.db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("enabled, platform, served_http", [
    (True, True, True), (False, True, False), (True, False, False)])
async def test_serve_runs_the_server_beside_a_platform_only_when_enabled(
    config: Config, screener: MarkerScreener, enabled: bool, platform: bool, served_http: bool,
) -> None:
    port = free_port()
    app = build_app(config.model_copy(update={"http": HttpConfig(enabled=enabled, port=port)}), screener=screener)
    transport = MemoryTransport()
    app.add_transport(transport)
    seen: list[bool] = []

    def say_ready(_names: str) -> None:
        seen.append(listening(port))
        if platform:  # a platform runs until SIGTERM, as under a service manager
            asyncio.get_running_loop().call_soon(signal.raise_signal, signal.SIGTERM)

    try:
        await app.serve(console=None if platform else transport, ready=say_ready)  # a console alone: the chat
    finally:
        app.db.dispose()
    assert seen == [served_http]
    assert not listening(port)  # stopped with the rest


async def test_slack_in_http_mode_is_receiving_while_it_listens(fake_slack: FakeSlack) -> None:
    slack = SlackTransport(SlackConfig(enabled=True, mode="http", bot_token="xoxb-t", signing_secret="s",
                                       api_base_url=fake_slack.base_url, port=0))
    assert slack.receiving() is False

    async def handler(_msg: object) -> None:
        return None

    await slack.start(handler)
    try:
        assert slack.receiving() is True
    finally:
        await slack.stop()
    assert slack.receiving() is False


async def test_a_port_already_in_use_stops_serve_with_the_transports_stopped(config: Config,
                                                                           screener: MarkerScreener) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        app = build_app(config.model_copy(update={"http": HttpConfig(port=port)}), screener=screener)
        transport = MemoryTransport()
        app.add_transport(transport)
        try:
            with pytest.raises(OSError):  # `coachbot run` turns it into one line and exit 2
                await app.serve(ready=lambda _names: pytest.fail("said it was running"))
        finally:
            app.db.dispose()
    with pytest.raises(RuntimeError, match="not started"):
        await transport.receive(transport.message("u1", "hello"))
