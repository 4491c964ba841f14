"""Wiring: build the database, flows, screener, router, engine, outbox and transports from config."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine as Database

from bot.config import Config
from bot.engine import Engine, Screener
from bot.groups import Groups
from bot.listeners import EngineListeners
from bot.locale import ENGLISH, Locale
from bot.ops.metrics import Metrics, TimedScreener
from bot.ops.readiness import Readiness
from bot.ops.server import OpsServer
from bot.outbox import OutboxSender
from bot.planner import Planner
from bot.scheduler import Scheduler
from bot.storage import store
from bot.storage.crypto import install_keys
from bot.storage.db import open_engine, upgrade
from bot.storage.keyfile import encryption_keys
from bot.transports.base import Transport
from bot.transports.console import ConsoleTransport
from bot.transports.registry import build_enabled
from bot.turn import utc_now
from bot.web.routes import CoachWeb
from flows.stepper import FlowRunner
from safety.routing import SafetyRouter

log = logging.getLogger(__name__)

DEMO_COACH = "Demo Coach"
DEMO_COACH_CONSOLE_ID = "coach"


@dataclass
class App:
    config: Config
    db: Database
    flows: FlowRunner
    router: SafetyRouter
    engine: Engine
    outbox: OutboxSender
    planner: Planner
    groups: Groups
    scheduler: Scheduler
    metrics: Metrics
    http: OpsServer
    """Health, readiness and metrics; more pages join it with `app.http.add_routes(...)` before `serve`."""
    transports: dict[str, Transport] = field(default_factory=dict)

    def add_transport(self, transport: Transport) -> None:
        self.transports[transport.name] = transport

    async def serve(self, *, console: Transport | None = None, ready: Callable[[str], None] | None = None) -> None:
        """`coachbot run`: the platform transports until SIGTERM or Ctrl-C; a console on its own until EOF."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        platforms = [t for t in self.transports.values() if t is not console]
        signals = (signal.SIGINT, signal.SIGTERM) if platforms else ()  # a console alone: Ctrl-C ends it as usual
        for sig in signals:
            loop.add_signal_handler(sig, stop.set)
        self.planner.plan_all()
        sender = asyncio.create_task(self.outbox.run(stop))
        sweeper = asyncio.create_task(self.sweep(stop))
        calendar = asyncio.create_task(self.scheduler.run(stop))
        chatting: asyncio.Task[None] | None = None
        serving_http = bool(platforms) and self.config.http.enabled  # never in the terminal chat on its own
        try:
            for transport in platforms:
                await transport.start(self.engine.handle)
            if serving_http:
                self.http.readiness.platforms = tuple(t.name for t in platforms)
                await self.http.start()
            if ready is not None:
                ready(", ".join(t.name for t in self.transports.values()))
            if console is not None and not platforms:
                await console.start(self.engine.handle)  # returns at the end of input
                stop.set()
            elif console is not None:
                chatting = asyncio.create_task(console.start(self.engine.handle))
            await stop.wait()
            await self.outbox.deliver_due()
        finally:
            stop.set()
            if chatting is not None:
                chatting.cancel()
            await sender
            await sweeper
            await calendar
            await self.http.stop()
            for transport in self.transports.values():
                await transport.stop()
            self.engine.close()
            for sig in signals:
                loop.remove_signal_handler(sig)

    async def sweep(self, stop: asyncio.Event, *, every: float = 30.0) -> None:
        """Nudges, expiries and snoozes come due while nobody is writing; look for them regularly."""
        while not stop.is_set():
            try:
                await self.engine.wake_due()
            except Exception:
                log.exception("waking due conversations failed; will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)


def default_screener(*, threads: int = 2) -> Screener:
    from safety.layered import default_screener as real

    return real(threads)


def build_app(
    config: Config,
    *,
    screener: Screener | None = None,
    clock: Callable[[], datetime] = utc_now,
    migrate: bool = True,
    locale: Locale = ENGLISH,
) -> App:
    """Everything the bot needs, validated at start-up: a bad flow or config stops it here."""
    db = open_engine(config.database.url, echo=config.database.echo)
    install_keys(encryption_keys(config))  # before any row is read
    if migrate:
        upgrade(db)
    flows = FlowRunner(locale.flows(), wording=locale.flow_words())
    router = SafetyRouter(services=config.safety.services, checked=config.safety.services_checked,
                          templates=locale.safety())
    transports: dict[str, Transport] = {}
    wording = locale.engine()
    metrics = Metrics()
    metrics.watch(db, clock=clock)
    outbox = OutboxSender(db=db, transports=transports, clock=clock, unreachable_notice=wording.unreachable_notice,
                          delivered=metrics.delivered)
    planner = Planner(db=db, config=config, clock=clock)
    groups = Groups(config=config, flows=flows, words=wording.groups)
    listeners = EngineListeners(
        outbox_written=outbox.notify,
        calendar_changed=lambda conn, coachee_id, now: planner.plan_coachee(conn, coachee_id, now=now),
        flow_stepped=groups.after_step,
        group_command=groups.coach_command,
        turn_handled=metrics.turn_handled,
    )
    screener = TimedScreener(screener or default_screener(threads=config.safety.model_threads),
                             observe=metrics.screened)
    engine = Engine(db=db, flows=flows, screener=screener, router=router, config=config, clock=clock,
                    listeners=listeners, wording=wording)
    scheduler = Scheduler(db=db, engine=engine, planner=planner, groups=groups, config=config, clock=clock,
                          claimed=metrics.claimed)
    readiness = Readiness(db=db, transports=transports, clock=clock, stuck_after=config.http.outbox_stuck_after)
    http = OpsServer(config.http, readiness=readiness, metrics=metrics)
    if config.web.enabled:
        # The clock is read through the engine, so whatever clock the engine keeps, the pages keep too.
        http.add_routes(CoachWeb(db=db, config=config, flows=flows, router=router, wording=wording, groups=groups,
                                 clock=lambda: engine.clock(), written=outbox.notify).routes())
    return App(config=config, db=db, flows=flows, router=router, engine=engine, outbox=outbox, planner=planner,
               groups=groups, scheduler=scheduler, metrics=metrics, http=http, transports=transports)


def add_platforms(app: App) -> None:
    """Every enabled platform, from the transport registry; TransportSetupError names one that can't start."""
    for transport in build_enabled(app.config, app.engine.wording):
        app.add_transport(transport)


def ensure_demo_coachee(app: App, *, user: str, name: str, now: datetime) -> None:
    """First run in a terminal: a demo coach and a coachee for this console user, so chat just works."""
    with app.db.begin() as conn:
        if store.find_identity(conn, transport="console", external_id=user) is not None:
            return
        coach_identity = store.find_identity(conn, transport="console", external_id=DEMO_COACH_CONSOLE_ID)
        if coach_identity is not None and coach_identity.coach_id is not None:
            coach = store.get_coach(conn, coach_identity.coach_id)
        else:
            coach = store.add_coach(conn, name=DEMO_COACH, at=now)
            store.add_identity(conn, transport="console", external_id=DEMO_COACH_CONSOLE_ID, coach_id=coach.id)
        coachee = store.add_coachee(conn, coach_id=coach.id, name=name, at=now)
        store.add_identity(conn, transport="console", external_id=user, coachee_id=coachee.id)
        log.info("created demo coach %s and coachee %s for the terminal chat", coach.id, coachee.id)


def console_for(app: App, *, user: str, name: str, log_file: str | None = None) -> ConsoleTransport:
    """The terminal chat, opening with a banner: what this is, that it isn't a crisis service, how to leave."""
    words = app.engine.wording
    banner = words.console_banner.format(name=name, coach=DEMO_COACH)
    if log_file:
        banner += "\n" + words.console_log.format(path=log_file)
    console = ConsoleTransport(user=user, display_name=name, after_turn=app.outbox.deliver_due, words=words,
                               banner=banner)
    app.add_transport(console)
    return console
