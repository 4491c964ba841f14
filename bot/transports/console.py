"""The terminal chat: one stdin line in, replies out. Buttons show as numbered options."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.ratelimit import NO_LIMITS
from bot.transports.base import InboundHandler
from bot.transports.retry import HoldAndRetry
from bot.types import Attachment, Button, ConversationKey, InboundMessage, Outbound
from bot.wording import EngineWording


class ConsoleTransport:
    name = "console"
    limits = NO_LIMITS

    def __init__(
        self,
        *,
        user: str,
        display_name: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        after_turn: Callable[[], Awaitable[object]] | None = None,
        words: EngineWording | None = None,
        save_to: Path | None = None,
        banner: str | None = None,
    ) -> None:
        self.user = user
        self.display_name = display_name
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.after_turn = after_turn
        self.words = words or EngineWording.load()
        self.save_to = save_to  # where files sent to the person are written; the working directory by default
        self.banner = banner  # shown before anything is read, so a first screen is never blank
        self._buttons: tuple[Button, ...] = ()
        self._ids = itertools.count(1)
        self._stopped = False
        self._session = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self._held = HoldAndRetry(self.name)  # a line typed while the database was away is kept, not lost

    async def start(self, handler: InboundHandler) -> None:
        """Read until EOF or /quit; each line is handled, and its replies shown, before the next is read."""
        self._held.attach(handler)
        if self.banner:
            self.stdout.write(self.banner.rstrip() + "\n\n")
            self.stdout.flush()
        try:
            await self._read()
        finally:
            await self._held.close()

    async def _read(self) -> None:
        while not self._stopped:
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            text = line.rstrip("\r\n")
            if text.strip().lower() in ("/quit", "/exit"):
                break
            await self._held.hand_over(self._inbound(text))
            if self.after_turn is not None:
                await self.after_turn()

    def _inbound(self, text: str) -> InboundMessage:
        payload = self._pressed(text)
        return InboundMessage(
            key=ConversationKey(transport=self.name, user=self.user, chat=self.user),
            message_id=f"{self._session}-{next(self._ids)}",
            text=None if payload else text,
            payload=payload,
            received_at=datetime.now(UTC),
            display_name=self.display_name,
        )

    def _pressed(self, text: str) -> str | None:
        """Typing a shown option's number or its label presses that button. Under a scale the numbers are the
        scale's own, so only labels count: "11" is out of range there, never the eleventh button ("Not now")."""
        choice = text.strip().lower()
        by_number = not _is_scale(self._buttons)
        for index, button in enumerate(self._buttons, start=1):
            if choice == button.label.lower() or (by_number and choice == str(index)):
                return button.payload
        return None

    async def send(self, message: Outbound) -> str | None:
        reply = message.reply
        lines = []
        if message.key.user != self.user:
            lines.append(f"[to {message.key.user}]")
        else:
            self._buttons = reply.buttons
        lines.append(reply.text)
        if _is_scale(reply.buttons):
            others = [b.label for b in reply.buttons if not b.label.isdigit()]  # "Not now", typed as it reads
            lines.append("  " + "   ".join([self.words.scale_hint, *others]))
        elif reply.buttons:
            lines.append("  " + "   ".join(f"{i}) {b.label}" for i, b in enumerate(reply.buttons, start=1)))
        if reply.attachment is not None and message.key.user == self.user:
            path = self._save(reply.attachment)
            lines.append("  " + self.words.file_saved.format(path=path))
        elif reply.attachment is not None:  # someone else's (the demo coach's chart): named, not written
            alt = reply.attachment.alt_text
            lines.append(f"  [attachment: {reply.attachment.filename}]" + (f" {alt}" if alt else ""))
        self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()
        return None

    async def stop(self) -> None:
        self._stopped = True

    def _save(self, attachment: Attachment) -> Path:
        """A file for the person at the keyboard (their /mydata copy): written where they can open it, 0600, and
        never over an earlier one."""
        folder = self.save_to or Path.cwd()
        stem, dot, suffix = Path(attachment.filename).name.partition(".")
        for n in itertools.count(1):
            path = folder / (f"{stem}{dot}{suffix}" if n == 1 else f"{stem}-{n}{dot}{suffix}")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(attachment.data)
            return path
        raise AssertionError("unreachable")


def _is_scale(buttons: tuple[Button, ...]) -> bool:
    return any(b.label.isdigit() for b in buttons)
