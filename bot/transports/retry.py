"""Hold and retry, for a transport that has already told its platform a message arrived.

When the engine can't store a turn (TurnFailed), a platform that redelivers (Slack, Telegram's getUpdates)
is simply not acknowledged. One that won't redeliver (a webhook already answered, a line typed at a
terminal) hands the message here: it is kept in memory and handed over again with a doubling backoff,
later messages from the same chat waiting behind it so their order holds, and dropped (logged) only after
`give_up_after` seconds. `close` gives held messages a last try and logs what is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.transports.base import InboundHandler, TurnFailed
from bot.types import InboundMessage

__all__ = ["DEFAULT_BACKOFF", "Backoff", "HoldAndRetry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait between tries of what couldn't be stored, and when to give one message up."""

    retry_delay: float = 1.0
    max_retry_delay: float = 30.0
    give_up_after: float = 900.0

    def after_failure(self, delay: float) -> float:
        return min(delay * 2, self.max_retry_delay)


DEFAULT_BACKOFF = Backoff()


class HoldAndRetry:
    def __init__(
        self, name: str, *, backoff: Backoff = DEFAULT_BACKOFF, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.backoff = backoff
        self._clock = clock
        self._handler: InboundHandler | None = None
        self._held: deque[tuple[InboundMessage, float]] = deque()  # with when it was first held
        self._retrying: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._held)

    def attach(self, handler: InboundHandler | None) -> None:
        self._handler = handler

    async def hand_over(self, msg: InboundMessage) -> None:
        """Give the engine one message; keep it to try again if the engine couldn't store it."""
        handler = self._handler
        if handler is None:
            return
        if any(held.key == msg.key for held, _ in self._held):
            log.warning("%s: message %s waits behind an earlier one from its chat", self.name, msg.message_id)
            self._hold(msg)
            return
        try:
            await handler(msg)
        except TurnFailed:
            log.error("%s: message %s could not be stored; will try again", self.name, msg.message_id)
            self._hold(msg)

    async def close(self) -> None:
        """Stop retrying in the background; one last try for what is held, and a log line for what is lost."""
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
            self._retrying = None
        if self._held:
            await self._retry_pass()
        if self._held:
            log.error("%s: %d message(s) could not be stored and are lost: %s", self.name, len(self._held),
                      ", ".join(m.message_id for m, _ in self._held))
            self._held.clear()

    def _hold(self, msg: InboundMessage) -> None:
        self._held.append((msg, self._clock()))
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._retry_held())

    async def _retry_held(self) -> None:
        """Hand held messages over again, oldest first, backing off while the engine keeps failing."""
        delay = self.backoff.retry_delay
        while self._held:
            await asyncio.sleep(delay)
            delay = self.backoff.retry_delay if await self._retry_pass() else self.backoff.after_failure(delay)

    async def _retry_pass(self) -> bool:
        """True when every held message is through."""
        while self._held:
            handler = self._handler
            if handler is None:
                return False
            msg, since = self._held[0]
            try:
                await handler(msg)
            except TurnFailed:
                if self._clock() - since < self.backoff.give_up_after:
                    log.warning("%s: message %s still can't be stored", self.name, msg.message_id)
                    return False
                log.error("%s: gave up on message %s; it could not be stored", self.name, msg.message_id)
            except Exception:
                log.exception("%s: message %s failed on a retry and is dropped", self.name, msg.message_id)
            self._held.popleft()
        return True
