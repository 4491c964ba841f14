"""The outbox sender: every message to a person is a row first, so a crash loses nothing.

Rows go out in order per chat, safety alerts first, with retries and backoff; after too many failed
attempts a row is dead-lettered where `coachbot outbox --dead` shows it, never silently dropped.
Sends are paced within each platform's limits (bot/ratelimit.py): a pass sends what the limits allow
now and says how long until more may go, so a pass never sleeps and the run loop does the waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.ratelimit import NO_LIMITS, Pacer
from bot.storage import outbox as rows_store
from bot.storage import store
from bot.storage.erasure import FAREWELL
from bot.storage.records import NOTICE_PRIORITY, UNROUTED, OutboxRow
from bot.transports.base import DeliveryError, Transport
from bot.transports.registry import title_of
from bot.types import ConversationKey, Outbound, Reply
from bot.wording import EngineWording

log = logging.getLogger(__name__)



class ChatLocks:
    """Several workers on one PostgreSQL database: one sender per chat at a time, so each row goes once and in
    order. Session advisory locks on a connection held for one sweep; SQLite (one process) needs none."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: Connection | None = None
        self.held: dict[tuple[str, str], bool] = {}

    def __enter__(self) -> ChatLocks:
        if self.db.dialect.name == "postgresql":
            self.conn = self.db.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            if any(self.held.values()):
                rows_store.release_chat_locks(self.conn)
            self.conn.rollback()
            self.conn.close()

    def take(self, transport: str, chat: str) -> bool:
        if self.conn is None:
            return True
        if (transport, chat) not in self.held:
            self.held[(transport, chat)] = rows_store.try_chat_lock(self.conn, transport=transport, chat=chat)
            self.conn.commit()
        return self.held[(transport, chat)]

    def still_pending(self, row_id: int) -> bool:
        if self.conn is None:
            return True
        status = rows_store.status_of(self.conn, row_id)
        self.conn.commit()
        return status == "pending"


def backoff(attempts: int) -> timedelta:
    """Exponential: 2 s, 4 s, 8 s ... capped at 15 minutes."""
    return timedelta(seconds=min(2 ** attempts, 900))


class Pass(NamedTuple):
    """What one pass did: rows delivered, and seconds until a held-back row may go (None: nothing is held)."""

    delivered: int
    wait: float | None


def _sooner(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


class OutboxSender:
    """Delivers outbox rows; one pass at a time. Its pacers remember what each platform was sent lately."""

    def __init__(
        self,
        *,
        db: Database,
        transports: Mapping[str, Transport],
        clock: Callable[[], datetime],
        max_attempts: int = 8,
        batch: int = 200,
        per_chat: int = 20,
        pace_clock: Callable[[], float] = time.monotonic,
        unreachable_notice: str | None = None,
        delivered: Callable[[str, str], None] = lambda _transport, _outcome: None,
    ) -> None:
        self.db = db
        self.transports = transports
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.per_chat = per_chat
        self.pace_clock = pace_clock
        self._wake = asyncio.Event()
        self._sending = asyncio.Lock()
        self._pacers: dict[str, Pacer] = {}
        self.unreachable_notice = unreachable_notice or EngineWording.load().unreachable_notice
        self.delivered = delivered
        """Told each try's end (the metrics count them): the transport and "sent", "failed" or "dead"."""

    def notify(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, idle_wait: float = 1.0) -> None:
        """Deliver until `stop` is set; wakes when the limits let the next row go, or the engine writes rows."""
        while not stop.is_set():
            self._wake.clear()
            wait = idle_wait
            try:
                done = await self.deliver_now()
                wait = min(wait, idle_wait if done.wait is None else done.wait)
            except Exception:
                log.exception("outbox pass failed; will try again")
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def deliver_due(self) -> int:
        """What the limits allow right now (everything, without limits); returns how many rows were delivered."""
        return (await self.deliver_now()).delivered

    async def deliver_now(self) -> Pass:
        """One pass: it never waits for a limit, so it is safe on a request path; its wait says when to pass again."""
        async with self._sending:
            delivered, wait = 0, None
            for transport in [*self.transports, UNROUTED]:
                done = await self._pass(transport)
                delivered += done.delivered
                wait = _sooner(wait, done.wait)
            return Pass(delivered, wait)

    async def drain(self, *, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> int:
        """Pass after pass, sleeping as each pass says, until no pending row is left to try.

        For tests and benchmarks: with a fake clock and sleep a long drain takes no time. It sleeps through
        backoff too, so it is no way to stop the bot.
        """
        delivered = 0
        while True:
            done = await self.deliver_now()
            delivered += done.delivered
            if done.wait is None:
                return delivered
            await sleep(done.wait)

    def pacer(self, transport: str) -> Pacer:
        """The transport's declared `limits` (none if it declares none), remembered across passes."""
        known = self.transports.get(transport)
        limits = known.limits if known is not None else NO_LIMITS
        pacer = self._pacers.get(transport)
        if pacer is None or pacer.limits != limits:
            pacer = self._pacers[transport] = Pacer(limits, clock=self.pace_clock)
        return pacer

    async def _pass(self, transport: str) -> Pass:
        """One platform's rows: looked at again while rows the limits would let go may be left unseen."""
        pacer = self.pacer(transport)
        delivered = 0
        while True:
            held = pacer.overall_wait()
            if held:
                return Pass(delivered, held)
            sent, wait, more = await self._sweep(transport, pacer)
            delivered += sent
            if not (sent and more):
                return Pass(delivered, wait)

    async def _sweep(self, transport: str, pacer: Pacer) -> tuple[int, float | None, bool]:
        """Send what may go now, in order per chat; `more` means rows may remain that this look didn't fetch."""
        rows = await asyncio.to_thread(self._due, transport)
        with ChatLocks(self.db) as chats:
            return await self._send_rows(rows, transport, pacer, chats)

    async def _send_rows(
        self, rows: list[OutboxRow], transport: str, pacer: Pacer, chats: ChatLocks
    ) -> tuple[int, float | None, bool]:
        now = self.clock()
        delivered, wait = 0, None
        blocked: set[str] = set()
        sent: dict[str, int] = {}
        for row in rows:
            chat = row.chat_id
            if chat in blocked:
                continue
            if not chats.take(transport, chat):
                blocked.add(chat)  # another worker is sending to this chat: it keeps the order there
                continue
            if not chats.still_pending(row.id):
                continue  # another worker sent it between our look and our lock
            if row.next_attempt_at > now:
                blocked.add(chat)  # an earlier row is backing off: the rest of this chat waits behind it
                wait = _sooner(wait, (row.next_attempt_at - now).total_seconds())
                continue
            overall = pacer.overall_wait()
            if overall:
                wait = _sooner(wait, overall)
                break  # nobody on this platform may be sent to before then
            gap = pacer.wait(chat)
            if gap:
                blocked.add(chat)  # this chat's gap; other chats go on meanwhile
                wait = _sooner(wait, gap)
                continue
            pacer.take(chat)
            retry = await self._deliver(row, pacer)
            if retry is None:
                delivered += 1
                sent[chat] = sent.get(chat, 0) + 1
            else:
                blocked.add(chat)  # keep this chat's order: later rows wait for this one
                wait = _sooner(wait, retry)
        more = len(rows) >= self.batch or any(n >= self.per_chat for n in sent.values())
        return delivered, wait, more

    def _due(self, transport: str) -> list[OutboxRow]:
        with self.db.connect() as conn:
            return rows_store.due_rows(conn, transport=transport, per_chat=self.per_chat, batch=self.batch)

    async def _deliver(self, row: OutboxRow, pacer: Pacer) -> float | None:
        """None when delivered; otherwise seconds before this chat may go on (0 once the row is dead)."""
        transport = self.transports.get(row.transport)
        if transport is None:
            return await asyncio.to_thread(
                self._fail, row, DeliveryError("nobody to deliver to: no chat for this person", permanent=True))
        message = Outbound(
            key=ConversationKey(transport=row.transport, user=row.user_id, chat=row.chat_id),
            reply=Reply.model_validate_json(row.payload),
            outbox_id=row.id,
        )
        try:
            platform_id = await transport.send(message)
        except DeliveryError as exc:
            if exc.retry_after is not None and pacer.limits.retry_after_holds_all:
                pacer.hold(exc.retry_after)  # flood control: the platform wants quiet from the whole bot
            # Writes in a thread: a database lock held elsewhere waits there, never on the event loop.
            retry = await asyncio.to_thread(self._fail, row, exc)
            if exc.unreachable:
                await asyncio.to_thread(self._unreachable, row)
            return retry
        except Exception as exc:
            log.exception("transport %s raised while sending outbox row %s", row.transport, row.id,
                          extra={"transport": row.transport, "outbox_id": row.id})
            return await asyncio.to_thread(self._fail, row, DeliveryError(type(exc).__name__))
        await asyncio.to_thread(self._sent, row, platform_id)
        self.delivered(row.transport, "sent")
        return None

    def _sent(self, row: OutboxRow, platform_id: str | None) -> None:
        with self.db.begin() as conn:
            # the last word to someone erased: once delivered, nothing of them stays
            rows_store.mark_sent(conn, row, at=self.clock(), platform_message_id=platform_id,
                                 erase=row.kind == FAREWELL)

    def _unreachable(self, row: OutboxRow) -> None:
        """They blocked the bot or left: remember it, and tell their coach once so a person can follow up."""
        now = self.clock()
        with self.db.begin() as conn:
            if not store.set_unreachable(conn, transport=row.transport, external_id=row.user_id, at=now):
                return
            rows_store.give_up_on_chat(conn, transport=row.transport, chat=row.chat_id,
                                       reason="unreachable: " + row.user_id)
            identity = store.find_identity(conn, transport=row.transport, external_id=row.user_id)
            if identity is None or identity.coachee_id is None:
                log.error("a coach's %s chat can't be reached; check their registration", row.transport)
                return
            coachee = store.get_coachee(conn, identity.coachee_id)
            coach_chats = store.identities_of(conn, coach_id=coachee.coach_id)
            if not coach_chats:
                return
            text = self.unreachable_notice.format(coachee=coachee.name, transport=title_of(row.transport))
            store.add_outbox(conn, to=store.address_of(coach_chats[0]), replies=[Reply(text=text)], kind="notice",
                             at=now, coachee_id=coachee.id, priority=NOTICE_PRIORITY)
        log.warning("coachee %s can't be reached on %s; their coach has been told", coachee.id, row.transport,
                    extra={"transport": row.transport, "outbox_id": row.id, "coachee_id": coachee.id})

    def _fail(self, row: OutboxRow, error: DeliveryError) -> float:
        """Record the failure; returns seconds until the next try (0 when dead: later rows may go)."""
        attempts = row.attempts + 1
        dead = error.permanent or attempts >= self.max_attempts
        wait = timedelta(seconds=error.retry_after) if error.retry_after is not None else backoff(attempts)
        with self.db.begin() as conn:
            rows_store.mark_failed(conn, row.id, dead=dead, attempts=attempts, error=error.reason,
                                   next_attempt_at=self.clock() + wait)
        self.delivered(row.transport, "dead" if dead else "failed")
        if dead:
            log.error("outbox row %s (%s to %s) dead-lettered after %d attempts: %s", row.id, row.kind,
                      row.transport, attempts, error.reason,
                      extra={"transport": row.transport, "outbox_id": row.id, "attempt": attempts})
        else:
            log.warning("outbox row %s not delivered (attempt %d): %s", row.id, attempts, error.reason,
                        extra={"transport": row.transport, "outbox_id": row.id, "attempt": attempts})
        return 0.0 if dead else wait.total_seconds()
