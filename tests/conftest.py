"""Shared fixtures: a real database (SQLite, and PostgreSQL too for tests/bot and tests/flows), the real app
wiring, and the in-memory transport."""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.app import App, build_app
from bot.config import Config, DatabaseConfig, LimitsConfig
from bot.locale import ENGLISH, Locale
from bot.storage import store
from bot.transports.memory import MemoryTransport
from bot.types import Reply
from safety.types import Screening, ScreenRequest, Tier, Turn
from tests.bot.web.browser.chromium import SKIP_PREFIX, chromium_browser
from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.telegram_emulator import EmulatorProcess, new_token

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

MARKERS = {"[check]": Tier.CHECK, "[stress]": Tier.STRESS, "[crisis]": Tier.CRISIS, "[emergency]": Tier.EMERGENCY}


@dataclass
class MarkerScreener:
    """A test double for engine tests only: the tier comes from a marker in the text, so a test says
    exactly what the screen decides. The real screener has its own tests in tests/safety."""

    calls: list[str] = field(default_factory=list)
    contexts: list[tuple[Turn, ...]] = field(default_factory=list)

    def screen(self, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> Screening:
        self.calls.append(text)
        self.contexts.append(tuple(context))
        tier = max((t for marker, t in MARKERS.items() if marker in text), default=Tier.NONE)
        rules = tuple(f"test.{tier.value}" for _ in [0] if tier is not Tier.NONE)
        return Screening(tier=tier, rules=rules, ruleset_version="test")

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]:
        return [self.screen(r.text, context=r.context, at=r.at) for r in requests]


# PostgreSQL: the server every test can use (CI has one; a developer without one gets a skip).
POSTGRES_URL_ENV = "COACHBOT_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "COACHBOT_REQUIRE_POSTGRES"  # CI sets it to 1: no PostgreSQL fails the run, never skips
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BOTH_BACKENDS = ("bot", "flows")  # test folders whose database tests run on SQLite and on PostgreSQL
# Tests about SQLite itself (pragmas, files); a test can say so with @pytest.mark.sqlite_only as well.
SQLITE_ONLY = frozenset({
    "tests/bot/test_storage.py::test_sqlite_runs_in_wal_mode_with_foreign_keys",
})


def postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_ENV, "") not in ("", "0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a database test about SQLite itself; not run on PostgreSQL")
    config.addinivalue_line("markers", "slow: takes a minute or more; run first, so it never ends the run alone")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (a stable sort, so every worker sees one order): spread over the workers from the
    start, they run beside the short tests instead of after them, on one core while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _sqlite_only(definition: pytest.Function) -> bool:
    return definition.get_closest_marker("sqlite_only") is not None or definition.nodeid in SQLITE_ONLY


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test in tests/bot and tests/flows that touches the database runs once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    tests = Path(__file__).resolve().parent
    folder = metafunc.definition.path.resolve().relative_to(tests).parts[0]
    if folder not in BOTH_BACKENDS:
        return  # the default: SQLite only, without a test id
    if _sqlite_only(metafunc.definition):
        metafunc.parametrize("backend", ["sqlite"], indirect=True)
        return
    metafunc.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)


@dataclass
class PostgresServer:
    """The PostgreSQL server the tests use. Each test gets a schema of its own in the one database, named in the
    URL itself (search_path), so every app, restart and CLI process given that URL sees the same tables."""

    url: URL
    admin: Engine
    dropping: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-schema"))
    drops: list[Future[None]] = field(default_factory=list)

    def new_schema(self) -> tuple[str, str]:
        schema = f"coachbot_test_{secrets.token_hex(6)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # Not waiting for each commit to reach the disk is safe for a throwaway schema and makes commits ~10x faster.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        url = self.url.update_query_dict({"options": options, "application_name": schema})
        return schema, url.render_as_string(hide_password=False)

    def drop_schema(self, schema: str) -> None:
        with self.admin.connect() as conn:
            # Connections a test left open (an app it never disposed) would hold the schema's tables.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": schema})
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    def drop_later(self, schema: str) -> None:
        """Drop it in the background while the next test runs: nothing but this schema's URL can reach it."""
        self.drops.append(self.dropping.submit(self.drop_schema, schema))

    def close(self) -> None:
        self.dropping.shutdown(wait=True)
        failed = [str(d.exception()) for d in self.drops if d.exception() is not None]
        self.admin.dispose()
        if failed:
            warnings.warn(f"{len(failed)} test schema(s) could not be dropped: {failed[0]}", stacklevel=1)


def _connect_postgres() -> PostgresServer | str:
    """The server, or why it can't be used."""
    url = make_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    hint = f"set {POSTGRES_URL_ENV} or start it"
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except ModuleNotFoundError as exc:
        return f"PostgreSQL driver {exc.name!r} not installed (pip install -e '.[dev]'); {hint}"
    except (SQLAlchemyError, ValueError) as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"PostgreSQL not reachable on {where}; {hint} ({first})"
    return PostgresServer(url=url, admin=admin)


_postgres: list[PostgresServer | str] = []  # the one attempt per session, made when a test first needs it


def postgres_server() -> PostgresServer | str:
    if not _postgres:
        _postgres.append(_connect_postgres())
    return _postgres[0]


def pytest_sessionstart(session: pytest.Session) -> None:
    """CI: without PostgreSQL, stop before any test runs (the PostgreSQL tests must run there, not skip)."""
    if postgres_required():
        server = postgres_server()
        if isinstance(server, str):
            raise pytest.UsageError(f"{REQUIRE_POSTGRES_ENV}={os.environ[REQUIRE_POSTGRES_ENV]}: {server}")


_skipped_on_postgres: list[str] = []
_browser_skipped: list[str] = []  # why the browser tests didn't run (each reason once)
_screenshots: list[str] = []  # the browser tests' screenshots, kept after the run


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "[postgresql" in report.nodeid:
        _skipped_on_postgres.append(report.nodeid)
    if report.skipped and isinstance(report.longrepr, tuple) and SKIP_PREFIX in report.longrepr[2]:
        reason = report.longrepr[2].split(SKIP_PREFIX, 1)[1]
        if reason not in _browser_skipped:
            _browser_skipped.append(reason)
    _screenshots.extend(str(value) for name, value in report.user_properties
                        if name == "screenshot" and report.when == "call")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _postgres and isinstance(_postgres[0], PostgresServer):
        _postgres[0].close()
    if postgres_required() and _skipped_on_postgres:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # CI: a PostgreSQL test that didn't run is a failure


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres and isinstance(_postgres[0], str):
        terminalreporter.write_line(f"PostgreSQL tests skipped: {_postgres[0]}", yellow=True)
    if postgres_required() and _skipped_on_postgres:
        terminalreporter.write_line(f"{REQUIRE_POSTGRES_ENV} is set but {len(_skipped_on_postgres)} PostgreSQL "
                                    f"test(s) were skipped, e.g. {_skipped_on_postgres[0]}", red=True)
    for reason in _browser_skipped:
        terminalreporter.write_line(f"Browser tests skipped: {reason}", yellow=True)
    if _screenshots:
        terminalreporter.write_line(f"Browser screenshots: {', '.join(sorted(set(_screenshots)))}")


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database under test: "sqlite", or "postgresql" too where pytest_generate_tests says so."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for this test: a SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'coachbot.db'}"
        return
    server = postgres_server()
    if isinstance(server, str):
        if postgres_required():
            pytest.fail(server)
        pytest.skip(server)
    schema, url = server.new_schema()
    try:
        yield url
    finally:
        server.drop_later(schema)


@pytest.fixture
def config(db_url: str) -> Config:
    # Tests script conversations far faster than anyone types, so the per-sender inbound limit is set out of
    # their way here; tests/bot/test_inbound_limit.py runs with the real defaults.
    return Config(database=DatabaseConfig(url=db_url), limits=LimitsConfig(inbound_burst=1_000_000))


@pytest.fixture
def screener() -> MarkerScreener:
    return MarkerScreener()


@dataclass
class Harness:
    """The app on a real database, talking through the in-memory transport."""

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
        self.app.planner.clock = clock


def make_harness(config: Config, screener: MarkerScreener, *, onboarded: bool = False,
                 locale: Locale = ENGLISH) -> Harness:
    app = build_app(config, screener=screener, locale=locale)
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
    h.app.engine.close()
    h.app.db.dispose()


async def restarted(config: Config, screener: MarkerScreener) -> tuple[App, MemoryTransport]:
    """A new process, as far as the bot can tell: a new app and transport on the same database."""
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


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium per test module (starting one takes about a second); a module that uses it runs its
    tests in one event loop: `pytestmark = pytest.mark.asyncio(loop_scope="module")`."""
    async with chromium_browser() as chromium:
        yield chromium


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page in a context of its own (no cookies from another test), phone-to-laptop sized. axe-core goes in
    as a script tag, so the page's own Content-Security-Policy is bypassed for it."""
    context = await browser.new_context(viewport={"width": 960, "height": 720}, bypass_csp=True, locale="en-GB",
                                        timezone_id="Europe/London")
    context.set_default_timeout(15_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()
