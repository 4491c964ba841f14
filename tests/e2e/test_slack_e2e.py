"""End to end on Slack, as in production: `coachbot run` in its own process serves the Events API over HTTP on
127.0.0.1, the operator's commands are separate `coachbot` processes on the same database file, the real
screener decides what is risky, and every reply goes out through the outbox to a fake Slack Web API.

One coachee (Sam) joins with an invite code and walks onboarding, the session-1 questions and the review with
the buttons Slack shows; a check-in is started from the command line; a crisis message holds coaching and
alerts the coach in their own DM; the coach lifts the hold from Slack. Another coachee (Lee) is registered by
the operator, and the bot writes to them first.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.transports.helpers.fake_slack import FakeSlack
from tests.transports.helpers.slack_signing import (
    SignedRequest,
    SlackRequestSigner,
    block_actions_payload,
    event_envelope,
    message_im_event,
)

JsonDict = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
WAIT = 20.0  # seconds any one expected outcome may take before the test fails
POLL = 0.05
SIGNING_SECRET = "coachbot-e2e-signing-secret"
BOT_TOKEN = "xoxb-coachbot-e2e"
EVENTS_PATH = "/slack/events"
COACH = "U0COACH"
SAM, SAM_DM = "U0SAM", "D0SAM"
LEE = "U0LEE"
CRISIS_TEXT = "I don't want to be alive anymore, I've been thinking about ending my life"
CRISIS_SERVICES = ("116 123", "85258", "111")


def wait_until(condition: Callable[[], Any], what: str, *, timeout: float = WAIT) -> Any:
    """Poll until `condition()` returns something truthy and return it; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(POLL)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a `coachbot` process: no settings leaking in from the machine running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def write_config(tmp_path: Path, fake: FakeSlack, port: int) -> Path:
    path = tmp_path / "coachbot.toml"
    path.write_text(
        "[database]\n"
        f"url = {json.dumps('sqlite:///' + str(tmp_path / 'coachbot.db'))}\n"
        "\n[console]\nenabled = false\n"
        "\n[slack]\nenabled = true\nmode = \"http\"\n"
        f"bot_token = {json.dumps(BOT_TOKEN)}\n"
        f"signing_secret = {json.dumps(SIGNING_SECRET)}\n"
        f"api_base_url = {json.dumps(fake.base_url)}\n"
        f"listen = \"127.0.0.1\"\nport = {port}\npath = {json.dumps(EVENTS_PATH)}\n"
        "\n[http]\nport = 0\n",  # health and metrics on any free port, so tests side by side never clash
        encoding="utf-8",
    )
    return path


def coachbot(config: Path, *args: str) -> str:
    """One operator command in its own process; returns stdout, failing on a non-zero exit."""
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), *args], capture_output=True,
                          text=True, cwd=config.parent, env=clean_env(), timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"coachbot {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout


def last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def coachees(config: Path) -> dict[str, JsonDict]:
    return {row["name"]: row for row in json.loads(coachbot(config, "coachee", "list", "--json"))}


@dataclass
class RunningBot:
    """`coachbot run` in its own process, and what a person on Slack does to it."""

    config: Path
    fake: FakeSlack
    process: subprocess.Popen[bytes]
    stderr_path: Path
    port: int
    signer: SlackRequestSigner = field(default_factory=lambda: SlackRequestSigner(SIGNING_SECRET))
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def post(self, request: SignedRequest) -> int:
        http = urllib.request.Request(f"http://127.0.0.1:{self.port}{EVENTS_PATH}", data=request.content,
                                      headers=request.headers, method="POST")
        try:
            with urllib.request.urlopen(http, timeout=WAIT) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def message_event(self, text: str, *, user: str, channel: str) -> JsonDict:
        """A signed-to-be Events API body for a DM, with a unique event id and message ts."""
        n = next(self._counter)
        event = message_im_event(text, user=user, channel=channel, ts=f"{int(time.time())}.{n:06d}")
        return event_envelope(event, event_id=f"Ev0E2E{n:06d}")

    def send(self, body: JsonDict, *, retry_num: int | None = None) -> None:
        status = self.post(self.signer.json(body, retry_num=retry_num))
        assert status == 200, f"the bot answered {status} to a message event; its log:\n{self.stderr}"

    def say(self, text: str, *, user: str, channel: str) -> JsonDict:
        body = self.message_event(text, user=user, channel=channel)
        self.send(body)
        return body

    # what the bot posted

    def posts(self, channel: str) -> list[str]:
        """The text of every message the bot posted to `channel`, in order, as the person reads it."""
        return [unescape(str(c.args.get("text", ""))) for c in self.fake.successful_calls_to("chat.postMessage")
                if c.args.get("channel") == channel]

    def expect(self, channel: str, since: int, *needles: str) -> str:
        """Wait for a post to `channel` after the first `since` that contains every needle; returns the text of
        all the posts after `since` up to and including it."""

        def found() -> str | None:
            new = self.posts(channel)[since:]
            for i, text in enumerate(new):
                if all(n in text for n in needles):
                    return "\n---\n".join(new[: i + 1])
            return None

        deadline = time.monotonic() + WAIT
        while (text := found()) is None:
            if time.monotonic() > deadline:
                pytest.fail(f"no post to {channel} containing {needles!r} within {WAIT:.0f} s; posted since:\n"
                            + "\n---\n".join(self.posts(channel)[since:]) + f"\nbot log:\n{self.stderr}")
            time.sleep(POLL)
        return text

    def dm_channel(self, user: str) -> str:
        """The DM channel the fake handed out when the bot opened a DM with `user`."""
        calls = wait_until(lambda: [c for c in self.fake.successful_calls_to("conversations.open")
                                    if c.args.get("users") == user], f"the bot to open a DM with {user}")
        return str(calls[0].response["channel"]["id"])

    def exchange(self, text: str, *needles: str, user: str = SAM, channel: str = SAM_DM) -> str:
        """Send `text` and wait for the reply that contains every needle."""
        since = len(self.posts(channel))
        self.say(text, user=user, channel=channel)
        return self.expect(channel, since, *needles)

    # buttons

    def question_with(self, channel: str, label: str) -> tuple[JsonDict, JsonDict]:
        """The latest message in `channel` showing a button labelled `label`, and that button."""
        for message in reversed([m for m in self.fake.messages if m.get("channel") == channel]):
            for block in message.get("blocks") or []:
                if block.get("type") != "actions":
                    continue
                for button in block["elements"]:
                    if button["text"]["text"] == label:
                        return message, button
            if any(b.get("type") == "actions" for b in message.get("blocks") or []):
                break  # the newest question with buttons doesn't offer it: don't press an older one
        pytest.fail(f"no button {label!r} on the latest question in {channel}; messages: {self.fake.messages}")

    def press(self, label: str, *needles: str, user: str = SAM, channel: str = SAM_DM) -> tuple[str, JsonDict]:
        """Press a button as Slack sends it (built from the posted blocks); wait for the reply with every needle.
        Returns the reply text and the message the button was on."""
        message, button = self.question_with(channel, label)
        payload = block_actions_payload(button["action_id"], value=button["value"], user_id=user,
                                        channel_id=channel, message_ts=message["ts"], message_text=message["text"],
                                        button_text=label)
        payload["message"]["blocks"] = message["blocks"]
        since = len(self.posts(channel))
        status = self.post(self.signer.interactivity(payload))
        assert status == 200, f"the bot answered {status} to a button press; its log:\n{self.stderr}"
        return self.expect(channel, since, *needles), message

    def stop(self, timeout: float = WAIT) -> int:
        """SIGTERM, as a service manager stops it; kill if it doesn't exit in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return int(self.process.returncode)


@pytest.fixture
def setup(tmp_path: Path, fake_slack: FakeSlack) -> tuple[Path, int]:
    port = free_port()
    return write_config(tmp_path, fake_slack, port), port


@pytest.fixture
def coach_id(setup: tuple[Path, int]) -> str:
    config, _ = setup
    return last_line(coachbot(config, "coach", "add", "--name", "Alex Coach", "--slack-id", COACH))


@pytest.fixture
def bot(setup: tuple[Path, int], fake_slack: FakeSlack, tmp_path: Path, coach_id: str) -> Iterator[RunningBot]:
    config, port = setup
    stderr_path = tmp_path / "run.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--config", str(config), "run"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path, env=clean_env(COACHBOT_LOG_LEVEL="INFO"))
    running = RunningBot(config=config, fake=fake_slack, process=process, stderr_path=stderr_path, port=port)
    try:
        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"coachbot run exited {process.returncode} before it was ready:\n{running.stderr}")
            return "coachbot running: slack" in running.stderr

        wait_until(ready, "coachbot run to say it is running")
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT):
            pass  # it said so, and the port takes connections
        yield running
    finally:
        running.stop()


@pytest.mark.slow
def test_a_coachee_on_slack_from_invite_to_a_lifted_safety_hold(bot: RunningBot, coach_id: str) -> None:
    config, fake = bot.config, bot.fake
    fake.users[SAM] = {"real_name": "Sam Jones", "profile": {"real_name": "Sam Jones", "display_name": "sam"}}
    code = last_line(coachbot(config, "invite", "--coach", coach_id))

    # Joining with the invite code: the bot reads Sam's name from Slack and starts onboarding.
    welcome = bot.exchange(f"join {code}", "Shall we start?")
    assert "Hello Sam, I'm coachbot" in welcome and "Alex Coach" in welcome
    assert coachees(config)["Sam Jones"]["transport"] == "slack"

    # Onboarding with the buttons; after a press the question shows the choice instead of its buttons.
    reply, pressed = bot.press("Yes", "keep your answers")
    edited = wait_until(lambda: [m for m in fake.messages if m["ts"] == pressed["ts"] and "edited" in m],
                        "the pressed question to be updated")[0]
    assert all(b["type"] != "actions" for b in edited["blocks"])
    assert edited["blocks"][-1]["elements"][0]["text"] == "You chose: Yes"
    [update] = [c for c in fake.successful_calls_to("chat.update") if c.args["ts"] == pressed["ts"]]
    assert update.args["channel"] == SAM_DM
    bot.press("Yes", "send Alex Coach a summary")
    bot.press("Yes", "which time zone")
    reply = bot.exchange("London", "What would you like to work on in your coaching, Sam?")
    assert "you're all set" in reply
    sam = coachees(config)["Sam Jones"]
    assert (sam["timezone"], sam["consent_store"], sam["consent_share"]) == ("Europe/London", True, True)

    # Session 1: typed answers, a skip (a bare word on Slack), and the scale as buttons.
    bot.exchange("Lead my team with more confidence", "why now")
    bot.exchange("skip", "from your first session with Alex Coach")
    bot.exchange("A plan for my first team meeting", "how will you know")
    bot.exchange("I leave with one concrete step", "a miracle has happened")
    bot.exchange("I walk into meetings feeling calm and prepared", "cost you")
    bot.exchange("Some evenings spent preparing", "does that cost outweigh")
    bot.exchange("skip", "On a scale of 1 to 10")
    bot.press("6", "did something similar well")
    bot.exchange("I ran a workshop last spring and it went well", "What strengths")
    bot.exchange("Listening and staying organised", "someone you respect")
    bot.exchange("My old manager, who asked good questions", "Could you talk to them")
    bot.exchange("Yes, at our next catch-up", "anything else")
    review = bot.exchange("I'm a bit nervous about it", "Here is exactly what Alex Coach will see")
    assert "Lead my team with more confidence" in review and "feeling calm and prepared" in review
    review_question, _ = bot.question_with(SAM_DM, "Send to Alex Coach")
    assert [b["text"]["text"] for b in review_question["blocks"][-1]["elements"]] == [
        "Send to Alex Coach", "Change an answer", "Keep one private"]

    # Keep the miracle answer private, then send the rest.
    bot.press("Keep one private", "Which answer would you like to keep private?")
    summary, _ = bot.press("Preferred future", "stays private", "(kept private)")
    assert "feeling calm and prepared" not in summary
    sent, _ = bot.press("Send to Alex Coach", "Thank you for giving these questions your time")
    assert "Sent. Alex Coach will see this before your session." in sent
    assert "/journal" not in sent and "Type journal any time" in sent  # commands are bare words on Slack

    # A check-in started by the operator, from another process, while the bot runs.
    since = len(bot.posts(SAM_DM))
    out = coachbot(config, "prompt", "--coachee", str(sam["id"]), "--flow", "checkin")
    assert "started checkin" in out
    checkin = bot.expect(SAM_DM, since, "a quick check-in", "On a scale of 1 to 10")
    assert "Lead my team with more confidence" in checkin  # the goal is reflected back
    bot.exchange("8", "That's up from last time. What helped?")
    for_coach = bot.exchange("Preparing the night before", "anything you'd like Alex Coach to know")
    assert "(Type skip if not.)" in for_coach

    # Slack delivers an event again (a retry): it is handled once. Replies to a chat go out in order, so if the
    # retry had produced anything it would come before the reply to the next message.
    before = len(bot.posts(SAM_DM))
    handled = bot.say("Nothing else for now, thanks", user=SAM, channel=SAM_DM)
    bot.expect(SAM_DM, before, "Would you like Alex Coach to see this check-in?")
    settled = len(bot.posts(SAM_DM))
    bot.send(handled, retry_num=1)
    thanks = bot.exchange("yes", "I'll check in again soon")
    assert len(bot.posts(SAM_DM)) == settled + 1, thanks
    assert "Listening and staying organised" in thanks  # the strengths Sam named, reflected back
    bot.exchange("hello again", "There's nothing waiting for you right now")

    # A crisis: services in the reply, coaching held, and the coach alerted in their own DM without a quote.
    crisis = bot.exchange(CRISIS_TEXT, "I've let Alex Coach know")
    assert any(service in crisis for service in CRISIS_SERVICES), crisis
    coach_dm = bot.dm_channel(COACH)
    alert = bot.expect(coach_dm, 0, "Safety alert")
    assert "Sam Jones" in alert and "crisis tier" in alert
    assert "alive" not in alert and "ending my life" not in alert
    assert "or resume Sam Jones here" in alert  # how to lift it, as a bare word on Slack
    assert coachees(config)["Sam Jones"]["status"] == "hold"
    on_hold = bot.exchange("are you still there?", "Our coaching is paused while you get support")
    assert any(service in on_hold for service in CRISIS_SERVICES), on_hold

    # The coach lifts the hold from their DM, with a bare word (Slack keeps "/resume" for itself).
    coach_since = len(bot.posts(coach_dm))
    sam_since = len(bot.posts(SAM_DM))
    bot.say("resume Sam Jones", user=COACH, channel=coach_dm)
    done = bot.expect(coach_dm, coach_since, "coaching is back on")
    assert "Sam Jones" in done
    back = bot.expect(SAM_DM, sam_since, "Alex Coach has picked your coaching back up")
    assert "Hello Sam" in back
    assert coachees(config)["Sam Jones"]["status"] == "active"
    bot.exchange("how do I keep a journal?", "There's nothing waiting for you right now")

    # The digest: the shared answers, not the one kept private, and nothing of the crisis message.
    digest = coachbot(config, "digest", "--coachee", str(sam["id"]))
    assert "Digest for Alex Coach: Sam Jones" in digest
    assert "Lead my team with more confidence" in digest and "Listening and staying organised" in digest
    assert "feeling calm and prepared" not in digest
    assert "kept 1 answer private" in digest
    assert "ending my life" not in digest

    assert bot.stop() == 0
    log = bot.stderr
    assert "Traceback" not in log, log
    assert "ending my life" not in log and "Lead my team" not in log  # message text never reaches the log


@pytest.mark.slow
def test_a_coachee_registered_by_the_operator_gets_a_dm_from_the_bot_and_onboarding_carries_on(
    bot: RunningBot, coach_id: str
) -> None:
    config, fake = bot.config, bot.fake
    out = coachbot(config, "coachee", "add", "--coach", coach_id, "--name", "Lee Park", "--slack-id", LEE)
    lee_id = int(last_line(out))

    # The running bot picks the row up from the outbox, opens a DM with Lee and writes first.
    lee_dm = bot.dm_channel(LEE)
    welcome = bot.expect(lee_dm, 0, "Hello Lee, I'm coachbot", "Shall we start?")
    assert "Alex Coach" in welcome

    # Lee answers in that DM: onboarding carries on from the welcome rather than starting again.
    reply, _ = bot.press("Yes", "keep your answers", user=LEE, channel=lee_dm)
    assert "Hello Lee" not in reply
    reply = bot.exchange("yes", "send Alex Coach a summary", user=LEE, channel=lee_dm)
    assert "Hello Lee" not in reply
    assert len(fake.successful_calls_to("conversations.open")) == 1  # the DM was opened once
    lee = coachees(config)["Lee Park"]
    assert (lee["id"], lee["consent_store"], lee["transport"]) == (lee_id, True, "slack")
    assert len(coachees(config)) == 1

    assert bot.stop() == 0
    assert "Traceback" not in bot.stderr, bot.stderr
