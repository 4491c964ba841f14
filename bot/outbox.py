"""The outbox sender: every message to a person is a row first, so a crash loses nothing.

Rows go out in order per chat, safety alerts first, with retries and backoff; after too many failed
attempts a row is dead-lettered where `coachbot outbox --dead` shows it, never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine as Database
from sqlalchemy import select, update

from bot.storage import schema as t
from bot.storage import store
from bot.storage.records import OutboxRow
from bot.transports.base import DeliveryError, Transport
from bot.types import ConversationKey, Outbound, Reply

log = logging.getLogger(__name__)

NOTICE_PRIORITY = 50
UNREACHABLE_NOTICE = ("I can't reach {coachee} on {transport} any more: they may have blocked the bot or left. "
                      "Nothing more will be sent to them there until they write again.")


def backoff(attempts: int) -> timedelta:
    """Exponential: 2 s, 4 s, 8 s ... capped at 15 minutes."""
    return timedelta(seconds=min(2 ** attempts, 900))


class OutboxSender:
    def __init__(
        self,
        *,
        db: Database,
        transports: Mapping[str, Transport],
        clock: Callable[[], datetime],
        max_attempts: int = 8,
        batch: int = 200,
    ) -> None:
        self.db = db
        self.transports = transports
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self._wake = asyncio.Event()
        self._sending = asyncio.Lock()
        self.unreachable_notice = UNREACHABLE_NOTICE

    def notify(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, idle_wait: float = 1.0) -> None:
        """Deliver until `stop` is set; wakes early whenever the engine writes new rows."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox pass failed; will try again")
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle_wait, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    def _due(self) -> list[OutboxRow]:
        """Pending rows, alerts first; rows not yet due are included so they can hold back their chat."""
        query = (
            select(t.outbox)
            .where(t.outbox.c.status == "pending", t.outbox.c.transport.in_([*self.transports, "unrouted"]))
            .order_by(t.outbox.c.priority.desc(), t.outbox.c.id)
            .limit(self.batch)
        )
        with self.db.connect() as conn:
            return [OutboxRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    async def deliver_due(self) -> int:
        """One pass over what is due. Returns how many rows were delivered."""
        async with self._sending:
            delivered = 0
            blocked: set[tuple[str, str]] = set()
            now = self.clock()
            for row in self._due():
                chat = (row.transport, row.chat_id)
                if row.next_attempt_at > now:
                    blocked.add(chat)  # an earlier row is backing off: the rest of this chat waits behind it
                if chat in blocked:
                    continue
                if await self._deliver(row):
                    delivered += 1
                else:
                    blocked.add(chat)  # keep this chat's order: later rows wait for this one
            return delivered

    async def _deliver(self, row: OutboxRow) -> bool:
        transport = self.transports.get(row.transport)
        if transport is None:
            self._fail(row, DeliveryError("nobody to deliver to: no chat for this person", permanent=True))
            return False
        message = Outbound(
            key=ConversationKey(transport=row.transport, user=row.user_id, chat=row.chat_id),
            reply=Reply.model_validate_json(row.payload),
            outbox_id=row.id,
        )
        try:
            platform_id = await transport.send(message)
        except DeliveryError as exc:
            self._fail(row, exc)
            if exc.unreachable:
                self._unreachable(row)
            return False
        except Exception as exc:
            log.exception("transport %s raised while sending outbox row %s", row.transport, row.id)
            self._fail(row, DeliveryError(type(exc).__name__))
            return False
        with self.db.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
                status="sent", sent_at=self.clock(), attempts=row.attempts + 1, platform_message_id=platform_id,
                last_error=None))
            if row.kind == "alert":
                conn.execute(update(t.safety_events).where(t.safety_events.c.alert_outbox_id == row.id)
                             .values(alert_delivered=True))
        return True

    def _unreachable(self, row: OutboxRow) -> None:
        """They blocked the bot or left: remember it, and tell their coach once so a person can follow up."""
        now = self.clock()
        with self.db.begin() as conn:
            if not store.set_unreachable(conn, transport=row.transport, external_id=row.user_id, at=now):
                return
            conn.execute(update(t.outbox).where(
                t.outbox.c.status == "pending", t.outbox.c.transport == row.transport,
                t.outbox.c.chat_id == row.chat_id).values(status="dead", last_error="unreachable: " + row.user_id))
            identity = store.find_identity(conn, transport=row.transport, external_id=row.user_id)
            if identity is None or identity.coachee_id is None:
                log.error("a coach's %s chat can't be reached; check their registration", row.transport)
                return
            coachee = store.get_coachee(conn, identity.coachee_id)
            coach_chats = store.identities_of(conn, coach_id=coachee.coach_id)
            if not coach_chats:
                return
            text = self.unreachable_notice.format(coachee=coachee.name, transport=row.transport.capitalize())
            store.add_outbox(conn, to=store.address_of(coach_chats[0]), replies=[Reply(text=text)], kind="notice",
                             at=now, coachee_id=coachee.id, priority=NOTICE_PRIORITY)
        log.warning("coachee %s can't be reached on %s; their coach has been told", coachee.id, row.transport)

    def _fail(self, row: OutboxRow, error: DeliveryError) -> None:
        attempts = row.attempts + 1
        dead = error.permanent or attempts >= self.max_attempts
        wait = timedelta(seconds=error.retry_after) if error.retry_after is not None else backoff(attempts)
        with self.db.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
                status="dead" if dead else "pending", attempts=attempts, last_error=error.reason[:300],
                next_attempt_at=self.clock() + wait))
        if dead:
            log.error("outbox row %s (%s to %s) dead-lettered after %d attempts: %s", row.id, row.kind,
                      row.transport, attempts, error.reason)
        else:
            log.warning("outbox row %s not delivered (attempt %d): %s", row.id, attempts, error.reason)
