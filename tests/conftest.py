"""Shared fixtures: a real SQLite file, the real app wiring, and the in-memory transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Config, DatabaseConfig
from bot.storage import store
from bot.transports.memory import MemoryTransport
from bot.types import Reply
from safety.types import Screening, Tier, Turn
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.telegram_emulator import EmulatorProcess, new_token

MARKERS = {"[check]": Tier.CHECK, "[stress]": Tier.STRESS, "[crisis]": Tier.CRISIS, "[emergency]": Tier.EMERGENCY}


@dataclass
class MarkerScreener:
    """A test double for engine tests only: the tier comes from a marker in the text, so a test says
    exactly what the screen decides. The real screener has its own tests in tests/safety."""

    calls: list[str] = field(default_factory=list)
    contexts: list[tuple[Turn, ...]] = field(default_factory=list)

    def screen(self, text: str, *, context: Sequence[Turn] = ()) -> Screening:
        self.calls.append(text)
        self.contexts.append(tuple(context))
        tier = max((t for marker, t in MARKERS.items() if marker in text), default=Tier.NONE)
        rules = tuple(f"test.{tier.value}" for _ in [0] if tier is not Tier.NONE)
        return Screening(tier=tier, rules=rules, ruleset_version="test")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coachbot.db'}"


@pytest.fixture
def config(db_url: str) -> Config:
    return Config(database=DatabaseConfig(url=db_url))


@pytest.fixture
def screener() -> MarkerScreener:
    return MarkerScreener()


@dataclass
class Harness:
    """The app on a real SQLite file, talking through the in-memory transport."""

    app: App
    transport: MemoryTransport
    coach_id: int
    coachee_id: int
    coachee_user: str = "u1"
    coach_user: str = "c1"

    async def say(self, text: str | None = None, *, payload: str | None = None, user: str | None = None,
                  message_id: str | None = None, name: str | None = None) -> list[Reply]:
        """Send one message and deliver what it produced; returns the new replies to that user."""
        who = user or self.coachee_user
        before = len(self.transport.replies_to(who))
        await self.transport.receive(self.transport.message(who, text, payload=payload, message_id=message_id,
                                                            name=name))
        await self.app.outbox.deliver_due()
        return self.transport.replies_to(who)[before:]

    async def texts(self, text: str | None = None, **kwargs: object) -> str:
        replies = await self.say(text, **kwargs)  # type: ignore[arg-type]
        return "\n---\n".join(r.text for r in replies)

    async def press(self, label: str) -> list[Reply]:
        """Press the button with this label on the latest message that has buttons, as a person would."""
        for reply in reversed(self.transport.replies_to(self.coachee_user)):
            if reply.buttons:
                (button,) = [b for b in reply.buttons if b.label == label]
                return await self.say(payload=button.payload)
        raise AssertionError("no message with buttons")

    async def prompt(self, flow: str) -> list[Reply]:
        before = len(self.transport.replies_to(self.coachee_user))
        await self.app.engine.prompt(self.coachee_id, flow)
        await self.app.outbox.deliver_due()
        return self.transport.replies_to(self.coachee_user)[before:]

    def use_clock(self, clock: Callable[[], datetime]) -> None:
        """Engine and outbox share one clock, so rows written 'now' are due 'now'."""
        self.app.engine.clock = clock
        self.app.outbox.clock = clock
        self.app.scheduler.clock = clock


def make_harness(config: Config, screener: MarkerScreener, *, onboarded: bool = False) -> Harness:
    app = build_app(config, screener=screener)
    transport = MemoryTransport()
    app.add_transport(transport)
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=app.engine.clock())
        store.add_identity(conn, transport="memory", external_id="c1", coach_id=coach.id)
        coachee = store.add_coachee(conn, coach_id=coach.id, name="Sam Jones", at=app.engine.clock())
        store.add_identity(conn, transport="memory", external_id="u1", coachee_id=coachee.id)
        if onboarded:
            from flows.stepper import ProfileChange

            store.apply_profile(conn, coachee.id, [
                ProfileChange(field="consent_store", value="yes"), ProfileChange(field="consent_share", value="yes"),
                ProfileChange(field="timezone", value="Europe/London")])
    return Harness(app=app, transport=transport, coach_id=coach.id, coachee_id=coachee.id)


@pytest.fixture
async def harness(config: Config, screener: MarkerScreener) -> AsyncIterator[Harness]:
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    yield h
    h.app.db.dispose()


async def restarted(config: Config, screener: MarkerScreener) -> tuple[App, MemoryTransport]:
    """A new process, as far as the bot can tell: a new app and transport on the same database file."""
    app = build_app(config, screener=screener)
    transport = MemoryTransport()
    app.add_transport(transport)
    await transport.start(app.engine.handle)
    return app, transport


async def onboard(h: Harness, *, share: bool = True) -> None:
    """Walk onboarding with consent to store (and to share), ending at the first pre-session question."""
    for answer in ("hello", "yes", "yes", "yes" if share else "no", "London"):
        await h.say(answer)


class Clock:
    """A clock a test moves by hand: nudges, expiry and due dates without waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def telegram_emulator() -> Iterator[EmulatorProcess]:
    """One telegram-test-api process for the session; tests stay apart by each using its own bot token."""
    with EmulatorProcess() as emulator:
        yield emulator


@pytest.fixture
def tg_token() -> str:
    return new_token()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
