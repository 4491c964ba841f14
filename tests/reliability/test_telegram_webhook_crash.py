"""Telegram in webhook mode, killed with SIGKILL while an update's turn is under way: nothing is lost.

`coachbot run` serves the webhook in its own process and talks to the Bot API emulator, which delivers updates
to it as Telegram does (one at a time, again after any answer but a 2xx). The test holds SQLite's write lock
from outside, so the turn of a coachee's message waits for it; the bot is killed in that wait, the lock let go,
and the bot started again. The update was never answered 200, so it comes again and is answered once.
(With a server that answers 200 before the turn runs, as python-telegram-bot's own does, it would be lost.)
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

from tests.e2e.test_telegram_e2e import WAIT, RunningBot, text_of, write_config
from tests.transports.helpers.telegram_emulator import EmulatorProcess, new_token
from tests.transports.test_telegram import free_port

SECRET = "webhook-crash-secret"
KIM = 7301


def webhook_lines(port: int) -> str:
    return (f'mode = "webhook"\nwebhook_url = "http://127.0.0.1:{port}/telegram"\nwebhook_path = "/telegram"\n'
            f'listen = "127.0.0.1"\nport = {port}\nsecret_token = "{SECRET}"\n')


async def until(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: not within {WAIT}s")


async def test_a_kill_while_a_webhook_turn_waits_loses_nothing(
    tmp_path: Path, telegram_emulator: EmulatorProcess
) -> None:
    token = new_token()
    port = free_port()
    config = write_config(tmp_path, token=token, emulator=telegram_emulator, receiving=webhook_lines(port))
    kim = telegram_emulator.user(token, user_id=KIM, first_name="Kim")

    first = RunningBot(config)
    try:
        first.wait_ready()

        async def webhook_set() -> bool:
            return (await kim.state())["webhook"] is not None

        await until(webhook_set, "the bot sets its webhook")
        lock = sqlite3.connect(tmp_path / "coachbot.db", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process's write: the turn waits for it
        try:
            await kim.send_text("hello")

            async def bot_has_it() -> bool:
                state = await kim.state()
                return state["webhookInFlight"] is not None or bool(state["webhookDeliveries"])

            await until(bot_has_it, "the update reaches the bot")
            await asyncio.sleep(0.5)  # the turn is screened and now waits on the lock
            assert [d["status"] for d in (await kim.state())["webhookDeliveries"]] == [], \
                "answered before its turn was stored"
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=WAIT)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
    finally:
        first.terminate()
        first.close()
    assert await kim.bot_messages() == []

    again = RunningBot(config)
    try:
        again.wait_ready()

        async def answered() -> bool:
            return any("invite code" in text_of(m) for m in await kim.bot_messages())

        await until(answered, "the redelivered update is answered")
        await asyncio.sleep(0.5)
        statuses = [d["status"] for d in (await kim.state())["webhookDeliveries"]]
        assert statuses[-1] == 200 and statuses.count(200) == 1
        assert len(await kim.bot_messages()) == 1, "answered once"
    finally:
        assert again.terminate() == 0
        again.close()
    done = sqlite3.connect(tmp_path / "coachbot.db")
    try:
        receipts = done.execute("SELECT message_id FROM inbound_receipts WHERE transport = 'telegram'").fetchall()
    finally:
        done.close()
    assert len(receipts) == 1
