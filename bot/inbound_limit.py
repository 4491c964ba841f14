"""A sender's inbound allowance: a token bucket kept in their conversation's data, so it holds across workers
and restarts. A person never comes near it; a script sending hundreds a second does."""

from __future__ import annotations

from datetime import datetime

from bot.config import LimitsConfig


def take(left: float | None, since: datetime | None, *, now: datetime, limits: LimitsConfig) -> tuple[bool, float]:
    """Whether one more message is within the limit, and the allowance left after it."""
    burst = float(limits.inbound_burst)
    if left is None or since is None:
        left = burst
    else:
        refill = max((now - since).total_seconds(), 0.0) * limits.inbound_per_minute / 60.0
        left = min(burst, left + refill)
    if left >= 1.0:
        return True, left - 1.0
    return False, left


def replies_may_pile_up(left: float | None, *, limits: LimitsConfig) -> bool:
    """More turns lately than the replies waiting for a chat may hold: only then are stale ones looked for,
    so an ordinary turn pays no extra statement."""
    return left is not None and left < limits.inbound_burst - limits.pending_replies_per_chat
