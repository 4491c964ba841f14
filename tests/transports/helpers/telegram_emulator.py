"""Run the ``telegram-test-api`` emulator (plus our PTB 22 compat layer) for tests.

Typical use::

    from .helpers.telegram_emulator import EmulatorProcess

    with EmulatorProcess() as emu:                     # skips the test if node/node_modules are missing
        bot = Bot(token, base_url=emu.base_url, base_file_url=emu.base_file_url)
        user = emu.user(token, user_id=1001)            # acts as a Telegram user
        await user.send_text("hello")
        msgs = await user.bot_messages()                # what the bot sent to this chat

Everything inside the emulator is keyed by bot token, so one emulator process can
be shared by many tests as long as each test uses its own token (:func:`new_token`).

The emulator's Node dependencies are installed with ``npm ci`` in
``tests/transports/telegram_emulator``.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

EMULATOR_DIR = Path(__file__).resolve().parent.parent / "telegram_emulator"
LAUNCHER = EMULATOR_DIR / "launch.js"
_EMULATOR_PACKAGE = EMULATOR_DIR / "node_modules" / "telegram-test-api" / "package.json"
_MIN_NODE_MAJOR = 18  # the launcher uses the built-in fetch Response/FormData multipart parser


def emulator_unavailable_reason() -> str | None:
    """Why the emulator cannot run here, or ``None`` if it can."""
    node = shutil.which("node")
    if node is None:
        return "telegram emulator needs `node` (>= 18) on PATH"
    if not _EMULATOR_PACKAGE.is_file():
        return "telegram emulator node_modules missing: run `npm ci` in tests/transports/telegram_emulator"
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as exc:  # pragma: no cover - broken node install
        return f"`node --version` failed: {exc!r}"
    match = re.match(r"v(\d+)\.", version.strip())
    if not match or int(match.group(1)) < _MIN_NODE_MAJOR:
        return f"telegram emulator needs node >= {_MIN_NODE_MAJOR}, found {version.strip()!r}"
    return None


def new_token(bot_id: int | None = None) -> str:
    """A fresh bot token ``"<id>:<secret>"``; the emulator's getMe reports ``id`` = the prefix."""
    bot_id = bot_id if bot_id is not None else 100_000 + secrets.randbelow(900_000)
    return f"{bot_id}:TEST-{secrets.token_hex(12)}"


_FILE = {"file_id": "user-file-1", "file_unique_id": "user-unique-1"}

# Minimal valid Bot API objects for a user's non-text message, by Message field name.
MEDIA_SAMPLES: dict[str, Any] = {
    "photo": [{**_FILE, "width": 90, "height": 60, "file_size": 1200}],
    "sticker": {**_FILE, "width": 512, "height": 512, "is_animated": False, "is_video": False, "type": "regular"},
    "voice": {**_FILE, "duration": 3, "mime_type": "audio/ogg"},
    "document": {**_FILE, "file_name": "notes.pdf", "mime_type": "application/pdf"},
    "video": {**_FILE, "width": 64, "height": 48, "duration": 2},
    "location": {"latitude": 51.5, "longitude": -0.12},
}


class EmulatorProcess:
    """``node launch.js`` on 127.0.0.1, as a context manager (or ``start()`` / ``stop()``).

    ``start()`` calls ``pytest.skip`` (with the reason) when node or node_modules is missing.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        startup_timeout: float = 15.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self._requested_port = port
        self.host = host
        self._startup_timeout = startup_timeout
        self._env = env
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._lines: collections.deque[str] = collections.deque(maxlen=2000)
        self.port: int | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> EmulatorProcess:
        reason = emulator_unavailable_reason()
        if reason is not None:
            pytest.skip(reason)
        node = shutil.which("node")
        assert node is not None
        env = {**os.environ, **self._env} if self._env is not None else None
        self._proc = subprocess.Popen(
            [
                node,
                str(LAUNCHER),
                "--port",
                str(self._requested_port),
                "--host",
                self.host,
                "--exit-on-stdin-close",
            ],
            cwd=EMULATOR_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(
            target=self._read_output, name="telegram-emulator-output", daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._ready.wait(0.05):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                output = self.output
                self.stop()
                raise RuntimeError(f"telegram emulator did not become ready; output:\n{output}")
        return self

    def _read_output(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            line = line.rstrip("\n")
            self._lines.append(line)
            match = re.fullmatch(r"READY (\d+)", line)
            if match and not self._ready.is_set():
                self.port = int(match.group(1))
                self._ready.set()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stdin is not None:
            proc.stdin.close()
        if self._reader is not None:
            self._reader.join(timeout=2)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- info ----------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def output(self) -> str:
        """Everything the emulator printed (stdout + stderr), for debugging failures."""
        return "\n".join(self._lines)

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``Bot(base_file_url=...)`` / ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    def user(
        self,
        token: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        first_name: str = "Test",
        username: str = "test_user",
    ) -> TelegramUser:
        """A client acting as a Telegram user talking to the bot ``token``."""
        return TelegramUser(
            self.url, token, user_id=user_id, chat_id=chat_id, first_name=first_name, username=username
        )


class TelegramUser:
    """The emulator's client API, as one user in one chat (private chat by default).

    Each call opens a short-lived ``httpx.AsyncClient``, so an instance is safe to use
    from any event loop (e.g. with a session-scoped emulator and per-test loops).
    """

    def __init__(
        self,
        emulator_url: str,
        token: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        first_name: str = "Test",
        username: str = "test_user",
    ) -> None:
        self.emulator_url = emulator_url
        self.token = token
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.first_name = first_name
        self.username = username

    # -- building blocks -----------------------------------------------------------
    @property
    def from_user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name, "username": self.username}

    @property
    def chat(self) -> dict[str, Any]:
        if self.chat_id == self.user_id:
            return {
                "id": self.chat_id,
                "type": "private",
                "first_name": self.first_name,
                "username": self.username,
            }
        return {"id": self.chat_id, "type": "group", "title": f"Test group {self.chat_id}"}

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        async with httpx.AsyncClient(base_url=self.emulator_url, timeout=10.0, trust_env=False) as http:
            response = await http.post(path, json=payload)
        response.raise_for_status()
        body = response.json()
        if not body.get("ok", False):
            raise RuntimeError(f"emulator {path} failed: {body}")
        return body.get("result")

    def _message(self, text: str, **extra: Any) -> dict[str, Any]:
        return {
            "botToken": self.token,
            "from": self.from_user,
            "chat": self.chat,
            "date": int(time.time()),
            "text": text,
            **extra,
        }

    # -- acting as the user --------------------------------------------------------
    async def send_text(self, text: str, **extra: Any) -> None:
        """The user sends a plain text message (extra fields are merged into the Message)."""
        await self._post("/sendMessage", self._message(text, **extra))

    async def send_command(self, command: str) -> None:
        """The user sends ``/command args`` (with the ``bot_command`` entity PTB's CommandHandler needs)."""
        name = command.split(" ", 1)[0]
        entity = {"offset": 0, "length": len(name), "type": "bot_command"}
        await self._post("/sendCommand", self._message(command, entities=[entity]))

    async def press_button(
        self, message_id: int, *, data: str | None = None, button_text: str | None = None
    ) -> None:
        """The user presses an inline button under the bot message ``message_id``.

        Give the ``callback_data`` directly, or ``button_text`` to look it up in the message's
        inline keyboard. The emulator fills the callback's ``message`` with the stored bot message.
        """
        if data is None:
            if button_text is None:
                raise ValueError("give data= or button_text=")
            data = await self._callback_data_for(message_id, button_text)
        payload = {
            "botToken": self.token,
            "from": self.from_user,
            "message": {"message_id": message_id, "chat": self.chat, "date": int(time.time())},
            "data": data,
            "date": int(time.time()),
        }
        await self._post("/sendCallback", payload)

    async def send_media(self, kind: str, *, caption: str | None = None) -> None:
        """The user sends something that is not text: ``kind`` is one of :data:`MEDIA_SAMPLES`."""
        message: dict[str, Any] = {
            "botToken": self.token,
            "from": self.from_user,
            "chat": self.chat,
            "date": int(time.time()),
            kind: MEDIA_SAMPLES[kind],
        }
        if caption is not None:
            message["caption"] = caption
        await self._post("/sendMessage", message)

    async def edit_text(self, message_id: int, text: str) -> None:
        """The user edits their earlier message ``message_id``: the bot gets an ``edited_message`` update."""
        now = int(time.time())
        payload = {**self._message(text, message_id=message_id), "date": now - 60, "edit_date": now}
        await self._post("/compat/editMessage", payload)

    async def fail_bot_call(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        any_chat: bool = False,
    ) -> None:
        """Make the bot's next ``times`` calls of ``method`` (to this chat unless ``any_chat``) fail
        as Telegram would, e.g. 403 "Forbidden: bot was blocked by the user" or 429 with ``retry_after``."""
        await self._post(
            "/compat/failNext",
            {
                "token": self.token,
                "method": method,
                "chat_id": None if any_chat else self.chat_id,
                "error_code": error_code,
                "description": description,
                "retry_after": retry_after,
                "times": times,
            },
        )

    async def _callback_data_for(self, message_id: int, button_text: str) -> str:
        for message in await self.bot_messages():
            if message["message_id"] != message_id:
                continue
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == button_text and "callback_data" in button:
                        return str(button["callback_data"])
        raise LookupError(f"no inline button {button_text!r} on bot message {message_id}")

    # -- observing the bot ---------------------------------------------------------
    async def history(self) -> list[dict[str, Any]]:
        """The emulator's raw ``/getUpdatesHistory`` for this bot (all chats, user + bot entries)."""
        return list(await self._post("/getUpdatesHistory", {"token": self.token}))

    async def state(self) -> dict[str, Any]:
        """Everything the compat layer recorded for this bot (see ``/compat/state`` in launch.js)."""
        return dict(await self._post("/compat/state", {"token": self.token}))

    async def bot_messages(self, *, all_chats: bool = False) -> list[dict[str, Any]]:
        """Bot API ``Message`` dicts the bot sent (edits applied), to this chat unless ``all_chats``."""
        messages = (await self.state())["botMessages"]
        if all_chats:
            return list(messages)
        return [m for m in messages if m["chat"]["id"] == self.chat_id]

    async def wait_for_bot_message(
        self, predicate: Callable[[dict[str, Any]], bool] = lambda _m: True, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Poll until the bot has sent a message to this chat matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for message in await self.bot_messages():
                if predicate(message):
                    return message
            if time.monotonic() > deadline:
                raise TimeoutError(f"bot sent no matching message within {timeout}s")
            await asyncio.sleep(0.05)
