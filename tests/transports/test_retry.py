"""Hold and retry: a message whose turn couldn't be stored is handed over again, in order, and never lost quietly."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest

from bot.transports.base import TurnFailed
from bot.transports.console import ConsoleTransport
from bot.transports.memory import MemoryTransport
from bot.transports.retry import Backoff, HoldAndRetry
from bot.types import InboundMessage


class FlakyEngine:
    """Fails the first `failures` turns as an unavailable database would, then stores every turn."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.stored: list[str] = []

    async def __call__(self, msg: InboundMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise TurnFailed("OperationalError", retryable=True)
        self.stored.append(msg.text or "")


async def wait_until_empty(held: HoldAndRetry) -> None:
    for _ in range(200):
        if not len(held):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("held messages were never handed over")


async def test_a_failed_turn_comes_again_and_its_chat_keeps_its_order() -> None:
    chat = MemoryTransport()
    engine = FlakyEngine(failures=1)
    held = HoldAndRetry("test", backoff=Backoff(retry_delay=0.01))
    held.attach(engine)
    await held.hand_over(chat.message("u1", "first"))
    await held.hand_over(chat.message("u1", "second"))  # waits behind the first, though the engine is back
    await held.hand_over(chat.message("u2", "other chat"))
    assert engine.stored == ["other chat"]
    await wait_until_empty(held)
    assert engine.stored == ["other chat", "first", "second"]


async def test_a_message_is_given_up_only_after_the_time_allowed_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    chat = MemoryTransport()
    engine = FlakyEngine(failures=10_000)
    held = HoldAndRetry("test", backoff=Backoff(retry_delay=0.01, give_up_after=60), clock=lambda: now[0])
    held.attach(engine)
    await held.hand_over(chat.message("u1", "kept", message_id="m-kept"))
    await asyncio.sleep(0.05)
    assert len(held) == 1  # still failing, still inside the time allowed
    now[0] = 61.0
    with caplog.at_level(logging.ERROR):
        await wait_until_empty(held)
    assert "gave up on message m-kept" in caplog.text
    assert "kept" not in caplog.text.replace("m-kept", "")  # the words themselves are never logged
    await held.close()


async def test_closing_gives_a_last_try_and_names_what_is_lost(caplog: pytest.LogCaptureFixture) -> None:
    chat = MemoryTransport()
    back = FlakyEngine(failures=1)
    held = HoldAndRetry("test", backoff=Backoff(retry_delay=60))
    held.attach(back)
    await held.hand_over(chat.message("u1", "late"))
    await held.close()
    assert back.stored == ["late"]

    gone = FlakyEngine(failures=10)
    held = HoldAndRetry("test", backoff=Backoff(retry_delay=60))
    held.attach(gone)
    await held.hand_over(chat.message("u1", "lost", message_id="m-lost"))
    with caplog.at_level(logging.ERROR):
        await held.close()
    assert "1 message(s) could not be stored and are lost: m-lost" in caplog.text


async def test_the_terminal_chat_keeps_a_line_typed_while_the_database_was_away() -> None:
    engine = FlakyEngine(failures=1)
    console = ConsoleTransport(user="sam", display_name="Sam", stdin=io.StringIO("hello\nmy goal\n"),
                               stdout=io.StringIO())
    await console.start(engine)  # no traceback: the line is held, and tried again at the end of input at the latest
    assert engine.stored == ["hello", "my goal"]
