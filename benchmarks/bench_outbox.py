"""Outbox pacing: 3,000 queued messages to 3,000 chats through a platform that allows 30 a second (target: 0.95).

The platform is a small transport that declares `RateLimits(per_second_overall=30)`, as Telegram's
bulk limit, and enforces it itself: a send that would make more than 30 accepted in any one second is
refused with a 429 (`DeliveryError(retry_after=...)`), which the sender must then retry. So the figure
can't be bought by sending faster than the platform allows: refusals cost their retries.

The real `OutboxSender` drains the rows from a SQLite file on real time (`drain`, sleeping with asyncio as
the run loop does). The rate is messages delivered over the seconds from the start of the drain to the
last delivery; `outbox_rate_ratio` is that over 30. It takes about 100 seconds at full size.
"""

from __future__ import annotations

import asyncio
import collections
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.outbox import OutboxSender
from bot.ratelimit import RateLimits
from bot.storage import schema as t
from bot.storage import store
from bot.storage.db import open_engine, upgrade
from bot.transports.base import DeliveryError, InboundHandler
from bot.turn import utc_now
from bot.types import ConversationKey, Outbound, Reply

RATE = 30
TARGET = 0.95
TARGETS = {"outbox_rate_ratio": (">=", TARGET), "outbox_refused": ("<=", 0)}
TEXT = "Hello Sam, a quick check-in: how did the conversation with your team go this week?"


class RateLimitedPlatform:
    """A platform that accepts at most `per_second` sends in any one-second window and refuses the rest."""

    def __init__(self, name: str = "fake", *, per_second: int = RATE) -> None:
        self.name = name
        self.limits = RateLimits(per_second_overall=per_second)
        self.per_second = per_second
        self.accepted: collections.deque[float] = collections.deque()  # the last second's accepted sends
        self.delivered: list[float] = []
        self.refused = 0

    async def start(self, handler: InboundHandler) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, message: Outbound) -> str | None:
        now = time.monotonic()
        while self.accepted and self.accepted[0] <= now - 1.0:
            self.accepted.popleft()
        if len(self.accepted) >= self.per_second:
            self.refused += 1
            raise DeliveryError("429: Too Many Requests", retry_after=self.accepted[0] + 1.0 - now)
        self.accepted.append(now)
        self.delivered.append(now)
        return str(len(self.delivered))


def queue(db_url: str, messages: int, transport: str) -> None:
    db = open_engine(db_url)
    try:
        upgrade(db)
        now = utc_now()
        with db.begin() as conn:
            for n in range(messages):
                chat = f"chat-{n}"
                store.add_outbox(conn, to=ConversationKey(transport=transport, user=chat, chat=chat),
                                 replies=[Reply(text=TEXT)], kind="prompt", at=now, coachee_id=None)
    finally:
        db.dispose()


async def drain(db_url: str, platform: RateLimitedPlatform) -> float:
    """Deliver everything queued; returns the seconds from the start of the drain to the last delivery."""
    db = open_engine(db_url)
    try:
        sender = OutboxSender(db=db, transports={platform.name: platform}, clock=utc_now)
        start = time.monotonic()
        await sender.drain()
        with db.connect() as conn:
            pending = conn.execute(select(func.count()).select_from(t.outbox).where(
                t.outbox.c.status != "sent")).scalar_one()
        if pending:
            raise RuntimeError(f"{pending} outbox rows were not delivered")
        return platform.delivered[-1] - start
    finally:
        db.dispose()


def run(*, messages: int = 3_000, workdir: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-outbox-", dir=workdir) as tmp:
        url = f"sqlite:///{Path(tmp) / 'outbox.db'}"
        platform = RateLimitedPlatform()
        queue(url, messages, platform.name)
        seconds = asyncio.run(drain(url, platform))
    rate = len(platform.delivered) / seconds
    return {
        "outbox_rate_ratio": round(rate / RATE, 4),
        "outbox_msgs_per_s": round(rate, 2),
        "outbox_refused": platform.refused,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(messages=int(sys.argv[1]) if len(sys.argv) > 1 else 3_000)))
