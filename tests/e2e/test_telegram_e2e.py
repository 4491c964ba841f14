"""End to end on Telegram, as in production: `coachbot run` in its own process, the operator's CLI in others.

The bot talks to the Bot API emulator; the test acts as a coachee and their coach through it, and as the
operator through the `coachbot` command line. Nothing is mocked: the real screener, engine, outbox, SQLite
file and Telegram transport all run in the `coachbot run` process, exactly as a deployment would.

One coachee's path: an invite, onboarding, the session-1 pre-session questions and their review, a check-in
started with `coachbot prompt`, a crisis message (services shown, the coach alerted in their own chat,
coaching held), and the coach lifting the hold in chat; then the coach's digest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.transports.helpers.telegram_emulator import EmulatorProcess, TelegramUser

ROOT = Path(__file__).resolve().parents[2]
COACH_TG_ID = 5101
COACHEE_TG_ID = 2001
COACHEE_NAME = "Priya"  # the coachee's Telegram first_name: the name they join with
BOT_USERNAME = "TestNameBot"  # what the emulator's getMe reports for every token
WAIT = 20.0  # seconds: only bounds a hang; nothing here measures time

CRISIS_TEXT = "I don't want to be alive anymore, I've been thinking about ending my life"
# Pre-session answers, typed by the coachee (none of them should trouble the safety screen).
GOAL = "I'd like to get better at leading my team meetings"
WHY_NOW = "I started a new role last month and the team is twice the size"
SESSION_WANT = "A plan for the next three months"
KNOW_USEFUL = "I'd leave with two concrete steps to try"
MIRACLE = "Meetings finish on time and the quieter people speak up"
EXCEPTION = "When I ran the offsite last spring I prepared the agenda with the team"
STRENGTHS = "Listening and staying calm"
ROLE_MODEL = "My manager Dana, who asks good questions and waits for the answers"  # the one kept private
ANYTHING_ELSE = "Mornings suit me best for sessions"
HELD_ANSWER = "What helped was preparing the agenda with the team"  # written while on hold: not an answer


def cli_env() -> dict[str, str]:
    """The environment for every `coachbot` process: only the config file decides, and 127.0.0.1 is direct."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
    env.update(PYTHONPATH=str(ROOT), COACHBOT_LOG_LEVEL="WARNING", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    return env


def coachbot(config: Path, *args: str) -> str:
    """Run one `coachbot --config CONFIG ...` command as an operator would; returns its stdout."""
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), *args], capture_output=True,
                          text=True, cwd=config.parent, env=cli_env(), timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"coachbot {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def coachee_status(config: Path, coachee_id: int) -> str:
    rows: list[dict[str, Any]] = json.loads(coachbot(config, "coachee", "list", "--json"))
    [row] = [r for r in rows if r["id"] == coachee_id]
    return str(row["status"])


POLLING = 'mode = "polling"\npoll_interval = 0.1\n'


def write_config(tmp_path: Path, *, token: str, emulator: EmulatorProcess, receiving: str = POLLING) -> Path:
    """`receiving`: the [telegram] lines that say how updates arrive (polling by default)."""
    config = tmp_path / "coachbot.toml"
    config.write_text(
        "[database]\n"
        f'url = "sqlite:///{tmp_path / "coachbot.db"}"\n'
        "\n[console]\n"
        "enabled = false\n"
        "\n[telegram]\n"
        "enabled = true\n"
        f'token = "{token}"\n'
        f"{receiving}"
        f'base_url = "{emulator.base_url}"\n'
        f'base_file_url = "{emulator.base_file_url}"\n'
        f'bot_username = "{BOT_USERNAME}"\n'
        "\n[http]\nport = 0\n",  # health and metrics on any free port, so tests side by side never clash
        encoding="utf-8",
    )
    return config


class RunningBot:
    """`coachbot run` in its own process, its stderr kept in a file for diagnostics."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log_path = config.parent / "coachbot-run.stderr"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "run"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
                                     cwd=config.parent, env=cli_env())

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WAIT
        while "coachbot running:" not in self.log():
            if self.proc.poll() is not None:
                raise AssertionError(f"coachbot run exited {self.proc.returncode} before it was ready:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"coachbot run did not say it was running within {WAIT}s:\n{self.log()}")
            time.sleep(0.05)

    def terminate(self) -> int:
        """SIGTERM, as a service manager stops it; killed if it doesn't stop. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=WAIT)
        self._log.flush()
        return self.proc.returncode

    def close(self) -> None:
        self._log.close()


@contextlib.contextmanager
def coachbot_running(config: Path) -> Iterator[RunningBot]:
    """`coachbot run` from ready to stopped; stopped whatever happens in the test."""
    bot = RunningBot(config)
    try:
        bot.wait_ready()
        yield bot
    finally:
        bot.terminate()
        bot.close()


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def labels_of(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


@dataclass
class Chat:
    """One person's private chat with the bot, read in order: each expectation looks only at messages the bot
    sent after the last one already matched, so an old message can't satisfy a new expectation."""

    user: TelegramUser
    diagnostics: Callable[[], str]
    seen: int = 0  # how many of the bot's messages in this chat have been read

    async def expect(self, containing: str, *, buttons: bool = False) -> dict[str, Any]:
        """Wait for a new bot message containing this text (and with buttons, if asked)."""
        deadline = time.monotonic() + WAIT
        while True:
            messages = await self.user.bot_messages()
            for index in range(self.seen, len(messages)):
                message = messages[index]
                if containing in text_of(message) and (not buttons or labels_of(message)):
                    self.seen = index + 1
                    return message
            if time.monotonic() > deadline:
                recent = "\n---\n".join(text_of(m) for m in messages[self.seen:]) or "(nothing new)"
                raise AssertionError(
                    f"user {self.user.user_id} got no new bot message containing {containing!r}"
                    f"{' with buttons' if buttons else ''} within {WAIT}s. New messages:\n{recent}\n"
                    f"coachbot run stderr:\n{self.diagnostics()}")
            await asyncio.sleep(0.05)

    async def texts_since(self, seen: int) -> list[str]:
        """Everything the bot has sent to this chat after the first `seen` messages."""
        return [text_of(m) for m in (await self.user.bot_messages())[seen:]]

    async def answer(self, question: str, text: str) -> None:
        """Wait for the question, then type the answer."""
        await self.expect(question)
        await self.user.send_text(text)

    async def press(self, question: str, label: str) -> dict[str, Any]:
        """Wait for the question with buttons, then press the one with this label; returns the question."""
        message = await self.expect(question, buttons=True)
        assert label in labels_of(message), f"no {label!r} button under {text_of(message)!r}: {labels_of(message)}"
        await self.user.press_button(message["message_id"], button_text=label)
        return message

    async def wait_until_edited(self, message_id: int, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while True:
            shown = [m for m in await self.user.bot_messages() if m["message_id"] == message_id]
            if shown and check(shown[0]):
                return shown[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"bot message {message_id} was not edited as expected within {WAIT}s; "
                                     f"now: {shown}\ncoachbot run stderr:\n{self.diagnostics()}")
            await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_coachee_from_invite_to_crisis_and_back_with_coachbot_run_in_its_own_process(
    tmp_path: Path, telegram_emulator: EmulatorProcess, tg_token: str
) -> None:
    config = write_config(tmp_path, token=tg_token, emulator=telegram_emulator)

    # The operator registers the coach and makes an invite, before the bot is started.
    coach_id = int(last_line(coachbot(config, "coach", "add", "--name", "Alex Coach",
                                      "--telegram-id", str(COACH_TG_ID))))
    invite_output = coachbot(config, "invite", "--coach", str(coach_id))
    code = last_line(invite_output)
    assert f"https://t.me/{BOT_USERNAME}?start={code}" in invite_output

    with coachbot_running(config) as bot:
        await walk_through(config, bot, telegram_emulator, tg_token, coach_id=coach_id, code=code)


async def walk_through(
    config: Path, bot: RunningBot, emulator: EmulatorProcess, token: str, *, coach_id: int, code: str
) -> None:
    """The coachee's path and the coach's part in it, against the running bot."""
    coach = Chat(emulator.user(token, user_id=COACH_TG_ID, first_name="Alex", username="alex_coach"),
                 diagnostics=bot.log)
    coachee = Chat(emulator.user(token, user_id=COACHEE_TG_ID, first_name=COACHEE_NAME, username="priya_k"),
                   diagnostics=bot.log)

    # The coach opens the bot once (Telegram only lets a bot write to people who have).
    await coach.user.send_command("/start")
    await coach.expect("You're registered as a coach")

    # Joining by the deep link, then onboarding with buttons.
    await coachee.user.send_command(f"/start {code}")
    welcome = await coachee.press("Shall we start?", "Yes")
    assert text_of(welcome).startswith(f"Hello {COACHEE_NAME}, I'm coachbot.")
    assert "Alex Coach" in text_of(welcome)
    # The pressed question is edited: the choice is shown under it and its buttons are gone.
    edited = await coachee.wait_until_edited(welcome["message_id"], lambda m: text_of(m).endswith("\n\n→ Yes"))
    assert "reply_markup" not in edited or not labels_of(edited)

    await coachee.press("Are you happy for me to keep your answers?", "Yes")
    await coachee.press("Would you like that?", "Yes")
    await coachee.answer("which time zone are you in?", "London")

    # Session 1 pre-session questions, typed; the scale by button; an optional one skipped.
    await coachee.expect("you're all set")
    await coachee.answer("What would you like to work on in your coaching", GOAL)
    await coachee.answer("why now?", WHY_NOW)
    await coachee.answer("What would you like to get from your first session with Alex Coach?", SESSION_WANT)
    await coachee.answer("how will you know the session was useful", KNOW_USEFUL)
    await coachee.answer("a miracle has happened", MIRACLE)
    await coachee.expect("What might achieving this goal cost you")
    await coachee.user.send_command("/skip")
    await coachee.expect("does that cost outweigh")
    await coachee.user.send_command("/skip")
    scale = await coachee.press("On a scale of 1 to 10", "4")
    assert [str(n) for n in range(1, 11)] == [label for label in labels_of(scale) if label.isdigit()]
    await coachee.answer("Think of a time you did something similar well", EXCEPTION)
    await coachee.answer("What strengths did you draw on", STRENGTHS)
    await coachee.answer("Is there someone you respect", ROLE_MODEL)
    await coachee.answer("Could you talk to them", "Yes, over a coffee next week")
    await coachee.answer("Is there anything else you'd like Alex Coach to know", ANYTHING_ELSE)

    # The review shows exactly what the coach will see; one answer is kept private, then it is sent.
    review = await coachee.press("Here is exactly what Alex Coach will see", "Keep one private")
    assert labels_of(review) == ["Send to Alex Coach", "Change an answer", "Keep one private"]
    for answer in (GOAL, SESSION_WANT, "4", ROLE_MODEL):
        assert answer in text_of(review)
    await coachee.press("Which answer would you like to keep private?", "Role model")
    kept = await coachee.press('Done: "Role model" stays private.', "Send to Alex Coach")
    assert ROLE_MODEL not in text_of(kept) and "Role model: (kept private)" in text_of(kept)
    await coachee.expect("Sent. Alex Coach will see this before your session.")
    await coachee.expect("Thank you for giving these questions your time")

    [listed] = [r for r in json.loads(coachbot(config, "coachee", "list", "--json")) if r["name"] == COACHEE_NAME]
    coachee_id = int(listed["id"])
    assert (listed["coach_id"], listed["status"], listed["transport"]) == (coach_id, "active", "telegram")
    assert (listed["consent_store"], listed["consent_share"], listed["timezone"]) == (True, True, "Europe/London")

    # A check-in started by the operator from another process; the running bot's outbox sender delivers it.
    prompted = coachbot(config, "prompt", "--coachee", str(coachee_id), "--flow", "checkin")
    assert "in the outbox" in prompted
    checkin = await coachee.press("a quick check-in", "6")
    assert GOAL in text_of(checkin) and "Last time you said 4." in text_of(checkin)
    await coachee.expect("That's up from last time. What helped?")

    # A crisis message: services in the reply, coaching held, the coach alerted in their own chat.
    await coachee.user.send_text(CRISIS_TEXT)
    crisis = text_of(await coachee.expect("I'm not a crisis service"))
    assert "116 123" in crisis and "85258" in crisis and "111" in crisis
    assert "stop our coaching questions" in crisis and "I've let Alex Coach know" in crisis
    alert = text_of(await coach.expect("Safety alert for"))
    assert f"Safety alert for {COACHEE_NAME} (coachee {coachee_id}), crisis tier" in alert
    assert f"/resume {COACHEE_NAME}" in alert
    for quoted in ("alive", "ending my life", CRISIS_TEXT):
        assert quoted not in alert, f"the alert quotes the coachee: {alert!r}"
    assert coachee_status(config, coachee_id) == "hold"

    # While on hold, anything they write gets the on-hold reply and no coaching question.
    held_from = coachee.seen
    await coachee.user.send_text(HELD_ANSWER)
    on_hold = await coachee.expect("Our coaching is paused while you get support")
    assert "116 123" in text_of(on_hold) and not labels_of(on_hold)
    await coachee.user.send_text("/resume")
    await coachee.expect(f"I'm here, {COACHEE_NAME}")  # a shorter, different reply the second time
    since_hold = await coachee.texts_since(held_from)
    assert len(since_hold) == 2 and all("999" in t for t in since_hold), since_hold

    # The coach lifts the hold in chat; the coachee is told and picks up where they were.
    await coach.user.send_command(f"/resume {COACHEE_NAME}")
    await coach.expect(f"Done: {COACHEE_NAME}'s coaching is back on and they've been told.")
    await coachee.expect(f"Hello {COACHEE_NAME}. Alex Coach has picked your coaching back up.")
    await coachee.expect("That's up from last time. What helped?")
    assert coachee_status(config, coachee_id) == "active"

    # The coach's digest: what was shared, not what was kept private (and nothing of the crisis message).
    digest = coachbot(config, "digest", "--coachee", str(coachee_id))
    assert f"# Digest for Alex Coach: {COACHEE_NAME}" in digest
    for shared in (GOAL, WHY_NOW, SESSION_WANT, KNOW_USEFUL, MIRACLE, EXCEPTION, STRENGTHS, ANYTHING_ELSE):
        assert shared in digest, f"shared answer {shared!r} missing from the digest:\n{digest}"
    assert "Dana" not in digest and "kept 1 answer private" in digest
    # The check-in was cut short by the crisis before its "share it?" question, so its reading stays theirs.
    assert "Scaling: 4" in digest and "→ 6" not in digest
    assert "alive" not in digest and "ending my life" not in digest and HELD_ANSWER not in digest

    # Stopped as a service manager would: SIGTERM, and a clean exit.
    code_on_exit = bot.terminate()
    assert code_on_exit == 0, f"coachbot run exited {code_on_exit} on SIGTERM:\n{bot.log()}"
    log = bot.log()
    assert "Traceback" not in log and " ERROR " not in log, log
    assert "bot_username" not in log, log  # the configured username matches the token's bot
