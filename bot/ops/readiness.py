"""Readiness: whether this worker should be sent traffic. Each check says ok or not, and why in a few words
(never a person, a message or a secret); any failed check makes the whole answer "not ready"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine as Database

from bot.storage import health
from bot.storage.db import at_head
from bot.transports.base import ReportsReceiving, Transport

__all__ = ["Check", "Readiness", "Report"]

CHECK_WITHIN = 3.0
"""Seconds the database checks together may take; longer counts as unavailable (a probe must answer promptly)."""


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    detail: str


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    ready: bool
    checks: dict[str, Check]


def _failed(exc: BaseException) -> Check:
    """The kind of failure only: a driver's message may quote a URL with its password in it."""
    return Check(ok=False, detail=f"unavailable ({type(exc).__name__})")


class Readiness:
    def __init__(
        self, *, db: Database, transports: Mapping[str, Transport], clock: Callable[[], datetime],
        stuck_after: timedelta, within: float = CHECK_WITHIN,
    ) -> None:
        self.db = db
        self.transports = transports
        self.clock = clock
        self.stuck_after = stuck_after
        self.within = within
        self.platforms: tuple[str, ...] | None = None
        """The transports that must be receiving (None: every one); `coachbot run` leaves out the terminal chat."""

    async def report(self) -> Report:
        """Every check, the database's in a thread so a slow database never holds up the event loop."""
        checks: dict[str, Check] = {}
        try:
            checks.update(await asyncio.wait_for(asyncio.to_thread(self._database), timeout=self.within))
        except TimeoutError:
            checks["database"] = Check(ok=False, detail=f"no answer within {self.within:g} s")
        for name, transport in sorted(self.transports.items()):
            if self.platforms is None or name in self.platforms:
                checks[f"transport.{name}"] = _receiving(transport)
        return Report(ready=all(c.ok for c in checks.values()), checks=checks)

    def _database(self) -> dict[str, Check]:
        try:
            with self.db.connect() as conn:
                health.ping(conn, within=self.within / 2)  # a lock's wait fails inside the whole check's time
        except Exception as exc:
            return {"database": _failed(exc)}
        checks = {"database": Check(ok=True, detail="reachable")}
        try:
            current = at_head(self.db)
            checks["migrations"] = Check(ok=current, detail="current" if current else
                                         "not at the latest migration (run coachbot db upgrade)")
            with self.db.connect() as conn:
                depth = health.outbox_depth(conn)
        except Exception as exc:
            checks.setdefault("migrations", _failed(exc))
            checks["outbox"] = _failed(exc)
            return checks
        checks["outbox"] = self._outbox(depth)
        return checks

    def _outbox(self, depth: list[health.OutboxDepth]) -> Check:
        now = self.clock()
        oldest = min((row.oldest for row in depth if row.oldest is not None), default=None)
        if oldest is None:
            return Check(ok=True, detail="nothing waiting")
        age = max(timedelta(0), now - oldest)
        seconds = int(age.total_seconds())
        if age >= self.stuck_after:
            return Check(ok=False, detail=f"stuck: the oldest undelivered message has waited {seconds} s "
                                          f"(limit {int(self.stuck_after.total_seconds())} s)")
        return Check(ok=True, detail=f"oldest undelivered message waited {seconds} s")


def _receiving(transport: Transport) -> Check:
    if isinstance(transport, ReportsReceiving) and not transport.receiving():
        return Check(ok=False, detail="not receiving (not connected, not listening, or polling failing)")
    return Check(ok=True, detail="receiving")
