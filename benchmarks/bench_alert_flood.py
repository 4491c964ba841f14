"""A coachee's crisis alert under a flood of strangers' crisis messages: how long until the safeguarding contact has it.

Someone who never joined can write of a crisis as often as they like, and each message is signposted and
recorded. The safeguarding contact hears about each stranger at most once an hour, and strangers' alerts wait
behind a coachee's. This measures what that buys on real time, through the whole path: the real screener
(learned layer included) on a SQLite file, the engine, and the real `OutboxSender` running as `coachbot run`
runs it, against a platform with Telegram's published limits (30 sends a second overall, one a second per chat
after a burst of three), enforced by the platform itself.

Two floods, 200 crisis messages each, written while the outbox is sending: from 200 different strangers (so
200 alerts to the contact, the worst case: de-duplication can't help) and from one stranger (one alert). Then a
coachee writes of a crisis; `alert_delay_s` is the seconds from their message to the contact receiving their
alert, the worse of the two floods; `stranger_alerts_waiting_*` is how many strangers' alerts were still
waiting for the contact at that moment. Before alerts were ranked, it waited behind every stranger's alert: over
two and a half minutes for 200 at one a second.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import func, select

from benchmarks.running import running_app
from bot.app import App
from bot.config import Config, DatabaseConfig, SafetyConfig, SecurityConfig
from bot.storage import schema as t
from bot.storage import store
from bot.transports.memory import MemoryTransport
from bot.transports.telegram import TelegramTransport
from bot.types import Outbound
from flows.stepper import ProfileChange

TARGETS = {"alert_delay_s": ("<=", 5.0)}
TELEGRAM = TelegramTransport.limits  # the limits the real transport declares, so the two can't drift apart
CRISIS = (
    "I want to kill myself",
    "I don't want to be alive any more",
    "I'm going to end my life",
    "I keep thinking about killing myself",
)
COACHEE_CRISIS = "I can't go on, I want to end my life"
ALERT_FOR_COACHEE = "Safety alert for Sam Jones"
GIVE_UP_AFTER = 120.0  # seconds: the figure is then "more than this"


class TimedPlatform(MemoryTransport):
    """The in-memory transport with a platform's limits, noting when each message was delivered."""

    def __init__(self) -> None:
        super().__init__(limits=TELEGRAM)
        self.delivered_at: list[float] = []

    async def send(self, message: Outbound) -> str | None:
        sent = await super().send(message)
        self.delivered_at.append(time.monotonic())
        return sent


def _seed(app: App, platform: TimedPlatform) -> None:
    now = datetime.now(UTC)
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=now)
        store.add_identity(conn, transport=platform.name, external_id="coach", coach_id=coach.id)
        lead = store.add_coach(conn, name="Safeguarding Lead", at=now)
        store.add_identity(conn, transport=platform.name, external_id="lead", coach_id=lead.id)
        coachee = store.add_coachee(conn, coach_id=coach.id, name="Sam Jones", at=now)
        store.add_identity(conn, transport=platform.name, external_id="sam", coachee_id=coachee.id)
        store.apply_profile(conn, coachee.id, [
            ProfileChange(field="consent_store", value="yes"), ProfileChange(field="consent_share", value="yes"),
            ProfileChange(field="timezone", value="Europe/London")])


def _delivered_to_lead(platform: TimedPlatform) -> list[tuple[str, float]]:
    return [(m.reply.text, at) for m, at in zip(platform.sent, platform.delivered_at, strict=True)
            if m.key.user == "lead"]


def _alerts_waiting(app: App) -> int:
    with app.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.outbox).where(
            t.outbox.c.kind == "alert", t.outbox.c.user_id == "lead", t.outbox.c.status != "sent")).scalar_one())


async def _flood_then_coachee(app: App, platform: TimedPlatform, *, strangers: int,
                              messages: int) -> tuple[float, int]:
    """The coachee's alert delay, and how many strangers' alerts were waiting for the contact when they wrote."""
    stop = asyncio.Event()
    sender = asyncio.create_task(app.outbox.run(stop))
    try:
        for n in range(messages):
            user = f"stranger-{n % strangers}"
            await platform.receive(platform.message(user, CRISIS[n % len(CRISIS)]))
            await asyncio.sleep(0)  # the outbox sends while the flood comes in, as it would
        waiting = _alerts_waiting(app)
        start = time.monotonic()
        await platform.receive(platform.message("sam", COACHEE_CRISIS))
        while time.monotonic() - start < GIVE_UP_AFTER:
            for text, at in _delivered_to_lead(platform):
                if text.startswith(ALERT_FOR_COACHEE):
                    return at - start, waiting
            await asyncio.sleep(0.01)
        return GIVE_UP_AFTER, waiting
    finally:
        stop.set()
        await sender


def _check(app: App, *, messages: int) -> None:
    """The flood did what it claims: every stranger's message was screened as a crisis or worse and recorded."""
    with app.db.connect() as conn:
        events = conn.execute(select(func.count()).select_from(t.safety_events).where(
            t.safety_events.c.coachee_id.is_(None))).scalar_one()
    if events != messages:
        raise RuntimeError(f"benchmark workload went wrong: {events} strangers' safety events for {messages} messages")


def one_flood(workdir: Path, *, strangers: int, messages: int) -> tuple[float, int]:
    config = Config(database=DatabaseConfig(url=f"sqlite:///{workdir / f'flood-{strangers}.db'}"),
                    security=SecurityConfig(encryption_keys=(SecretStr(Fernet.generate_key().decode()),)),
                    safety=SafetyConfig(alert="coach+safeguarding", safeguarding_contact="2"))
    platform = TimedPlatform()
    with running_app(config, platform) as app:
        _seed(app, platform)

        async def main() -> tuple[float, int]:
            await platform.start(app.engine.handle)
            return await _flood_then_coachee(app, platform, strangers=strangers, messages=messages)

        result = asyncio.run(main())
        _check(app, messages=messages)
        return result


def run(*, messages: int = 200, workdir: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-alerts-", dir=workdir) as tmp:
        many, many_waiting = one_flood(Path(tmp), strangers=messages, messages=messages)
        one, one_waiting = one_flood(Path(tmp), strangers=1, messages=messages)
    return {
        "alert_delay_s": round(max(many, one), 3),
        "alert_delay_many_strangers_s": round(many, 3),
        "alert_delay_one_stranger_s": round(one, 3),
        "stranger_alerts_waiting_many": many_waiting,
        "stranger_alerts_waiting_one": one_waiting,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(messages=int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
