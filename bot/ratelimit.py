"""Pacing sends within a platform's published limits, so the outbox neither trips 429s nor idles.

Each transport declares its limits as data (`RateLimits`); a `Pacer` applies one transport's limits. Both
the overall cap and each chat's gap are kept GCRA-style (a token bucket stored as one "next allowed"
time), so the overall cap spaces sends evenly instead of bursting, and one chat waiting out its gap never
holds up another chat. The pacer only answers "how long until this chat may send": it never sleeps
unless asked to (`acquire`), so a caller on a request path never waits on it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# Aim a little under the published rate and allow a little earliness, so that jitter in waking up neither
# costs throughput nor makes any one-second window hold more than the platform allows (this pair keeps a
# cap of N/s at most N sends in any 1-second window while achieving 0.98 N/s).
HEADROOM = 0.98
TOLERANCE = 0.01  # seconds
_NEGLIGIBLE = 1e-6  # seconds; a wait shorter than this is no wait (clock rounding)
_PRUNE_AT = 1024  # remembered chats before looking for ones to forget


@dataclass(frozen=True)
class RateLimits:
    """A platform's send limits. `per_chat_burst` sends may go back to back before the gap applies
    (platforms allow short bursts); `retry_after_holds_all` means a 429 pauses every chat, not just one."""

    per_second_overall: float | None = None
    per_chat_interval: float = 0.0
    per_chat_burst: int = 1
    retry_after_holds_all: bool = False

    def __post_init__(self) -> None:
        if self.per_second_overall is not None and self.per_second_overall <= 0:
            raise ValueError("per_second_overall must be positive (or None for no cap)")
        if self.per_chat_interval < 0 or self.per_chat_burst < 1:
            raise ValueError("per_chat_interval must be >= 0 and per_chat_burst >= 1")


NO_LIMITS = RateLimits()


class Pacer:
    """One transport's limits, for one sender. Count every request sent (`take`), accepted or not."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        headroom: float = HEADROOM,
        tolerance: float = TOLERANCE,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.tolerance = tolerance if limits.per_second_overall else 0.0
        self.spacing = 1.0 / (limits.per_second_overall * headroom) if limits.per_second_overall else 0.0
        self.chat_spacing = limits.per_chat_interval / headroom
        self._chat_slack = self.chat_spacing * (limits.per_chat_burst - 1)
        self._next = -math.inf  # when the overall cap next allows a send
        self._held_until = -math.inf  # a platform's "retry after" for everyone
        self._chats: dict[str, float] = {}  # per chat: when its gap is over, with no burst left
        self._prune_at = _PRUNE_AT

    def overall_wait(self) -> float:
        """Seconds until the transport may send to anyone; 0 means now."""
        return self._positive(max(self._next - self.tolerance, self._held_until) - self.clock())

    def wait(self, chat: str) -> float:
        """Seconds until `chat` may be sent to; 0 means now."""
        due = self._chats.get(chat)
        own = -math.inf if due is None else due - self._chat_slack - self.clock()
        return max(self.overall_wait(), self._positive(own))

    def take(self, chat: str) -> None:
        """Count one send to `chat`, now."""
        now = self.clock()
        if self.spacing:
            self._next = max(self._next, now) + self.spacing
        if self.chat_spacing:
            self._chats[chat] = max(self._chats.get(chat, now), now) + self.chat_spacing
            if len(self._chats) >= self._prune_at:  # forget chats whose gap is over; they start afresh anyway
                self._chats = {c: due for c, due in self._chats.items() if due > now}
                self._prune_at = max(_PRUNE_AT, 2 * len(self._chats))

    def hold(self, seconds: float) -> None:
        """The platform asked the whole bot to wait (flood control): nobody is sent to until then."""
        self._held_until = max(self._held_until, self.clock() + seconds)

    async def acquire(self, chat: str) -> None:
        """Wait (with the given sleep) until `chat` may be sent to, then count the send."""
        while (wait := self.wait(chat)) > 0:
            await self.sleep(wait)
        self.take(chat)

    @staticmethod
    def _positive(wait: float) -> float:
        return wait if wait > _NEGLIGIBLE else 0.0
