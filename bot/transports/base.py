"""The one small protocol at the transport seam, in the spirit of httpx's BaseTransport."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.logs import keep_libraries_quiet
from bot.ratelimit import RateLimits
from bot.types import InboundMessage, Outbound

InboundHandler = Callable[[InboundMessage], Awaitable[None]]


class DeliveryError(Exception):
    """A send failed. `retry_after` is the platform's own wait hint; `permanent` means don't retry.

    `unreachable` means the person can't be reached at all there (they blocked the bot or left the
    workspace): the outbox marks them unreachable and tells their coach.
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False, unreachable: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent or unreachable
        self.unreachable = unreachable


class TurnFailed(Exception):
    """The engine could not complete a turn; nothing of it was stored, so the platform may redeliver it.

    `retryable` means the cause was the database being unavailable (locked, gone, full, timed out), not
    the message: a transport holds the message and tries again rather than ever moving past it.
    """

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


def first_start(current: InboundHandler | None, handler: InboundHandler, *, platform: str) -> InboundHandler:
    """The handler a platform transport starts with. Its libraries are quietened first: however logging was set
    up, their DEBUG lines carry people's words. Starting twice is a bug."""
    keep_libraries_quiet()
    if current is not None:
        raise RuntimeError(f"the {platform} transport is already started")
    return handler


class TransportSetupError(Exception):
    """A transport can't start (bad config, a rejected token): one line for the operator, never the token."""


@dataclass(frozen=True, slots=True)
class JoinHint:
    """How a coachee uses an invite code on one platform: a link to open, or a message to send the bot."""

    platform: str
    link: str | None = None
    message: str | None = None


class Transport(Protocol):
    """A chat platform: it feeds inbound messages to a handler and delivers replies."""

    name: str
    limits: RateLimits
    """The platform's send limits, which the outbox paces to (`NO_LIMITS` if it has none)."""

    async def start(self, handler: InboundHandler) -> None:
        """Begin receiving; returns once receiving is set up (or, for the console, finished)."""

    async def send(self, message: Outbound) -> str | None:
        """Deliver one reply; returns the platform's message id if it has one."""

    async def stop(self) -> None:
        """Stop receiving and release resources."""


@runtime_checkable
class ReportsReceiving(Protocol):
    """A platform transport that can say whether messages reach it now (readiness asks; see docs/OPERATIONS.md).
    A transport without it counts as receiving once started."""

    def receiving(self) -> bool:
        """True while its server listens, its socket is connected, or its last poll got an answer."""
