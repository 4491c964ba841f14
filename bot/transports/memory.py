"""A real in-memory transport: tests and benchmarks talk to the engine through it, as a platform would."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.ratelimit import NO_LIMITS, RateLimits
from bot.transports.base import DeliveryError, InboundHandler
from bot.types import ConversationKey, InboundMessage, Outbound, Reply


class MemoryTransport:
    def __init__(self, name: str = "memory", *, limits: RateLimits = NO_LIMITS) -> None:
        self.name = name
        self.limits = limits  # none unless a test or benchmark plays a platform
        self.sent: list[Outbound] = []
        self._handler: InboundHandler | None = None
        self._ids = itertools.count(1)
        self._failures: list[DeliveryError] = []

    async def start(self, handler: InboundHandler) -> None:
        self._handler = handler

    async def stop(self) -> None:
        self._handler = None

    async def send(self, message: Outbound) -> str | None:
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)
        return str(len(self.sent))

    def fail_next(self, *errors: DeliveryError) -> None:
        """Make the next sends fail with these errors, in order (a platform outage, a 429)."""
        self._failures.extend(errors)

    def message(
        self, user: str, text: str | None = None, *, payload: str | None = None, message_id: str | None = None,
        name: str | None = None, chat: str | None = None, unsupported: str | None = None,
    ) -> InboundMessage:
        return InboundMessage(
            key=ConversationKey(transport=self.name, user=user, chat=chat or user),
            message_id=message_id or f"m{next(self._ids)}",
            text=text, payload=payload, received_at=datetime.now(UTC), display_name=name,
            unsupported=unsupported,
        )

    async def receive(self, msg: InboundMessage) -> None:
        if self._handler is None:
            raise RuntimeError("transport not started")
        await self._handler(msg)

    def replies_to(self, user: str) -> list[Reply]:
        return [m.reply for m in self.sent if m.key.user == user]

    def texts_to(self, user: str) -> list[str]:
        return [r.text for r in self.replies_to(user)]
