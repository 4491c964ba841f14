"""The platforms' libraries log whole messages at DEBUG (python-telegram-bot every update it fetches, slack_sdk
every message it posts), and what people write is health data. Ours never log a message's words at any level,
so raising the root logger to DEBUG to chase a problem must not switch theirs on: they are held at INFO.

The log is readable text or, for a log collector, one JSON object a line: time, level, logger, event, and the ids
passed as `extra=` (ID_FIELDS). A conversation key is hashed: the line can be followed, the chat not named."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TextIO

__all__ = ["ID_FIELDS", "LIBRARY_LOGGERS", "JsonFormatter", "configure", "conversation_ref", "keep_libraries_quiet",
           "log_to_file"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

ID_FIELDS = ("transport", "conversation", "message_id", "coachee_id", "coach_id", "group_id", "job_id", "job_kind",
             "outbox_id", "update_id", "attempt", "tier")
"""What a JSON line may carry besides time, level, logger and event: ids and counts, never what anyone wrote."""


class _Keyed(Protocol):
    @property
    def transport(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def chat(self) -> str: ...


def conversation_ref(key: _Keyed) -> str:
    """A short stable pseudonym for one conversation key, so its lines can be followed without the chat's ids."""
    digest = hashlib.sha256("\x1f".join((key.transport, key.user, key.chat)).encode("utf-8")).hexdigest()
    return digest[:12]


class JsonFormatter(logging.Formatter):
    """One JSON object a line. An exception gives its type only: its message and traceback may quote a message."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str | int | float | bool] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "event": record.getMessage(),
        }
        for name in ID_FIELDS:
            value = record.__dict__.get(name)
            if value is None:
                continue
            if name == "conversation":
                line[name] = conversation_ref(value) if hasattr(value, "chat") else "unnamed"
            else:
                line[name] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time, so a replaced stderr (a test's) is followed."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _formatter(fmt: Literal["text", "json"]) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(*, fmt: Literal["text", "json"], level: str) -> None:
    """The log to stderr in the format and at the level given; called again once the config is read. A process
    that set up logging of its own (a test runner, an embedding program) keeps its handlers and level."""
    root = logging.getLogger()
    ours: list[logging.Handler] = [h for h in root.handlers if getattr(h, "coachbot", False)]
    if not ours and root.handlers:
        return
    if not ours:
        stderr = _Stderr()
        stderr.coachbot = True  # type: ignore[attr-defined]
        root.addHandler(stderr)
        ours = [stderr]
    for handler in ours:
        handler.setFormatter(_formatter(fmt))
    root.setLevel(getattr(logging, level.upper(), logging.WARNING))


LIBRARY_LOGGERS = {"telegram": logging.INFO, "slack_sdk": logging.INFO, "slack_bolt": logging.INFO,
                   "httpcore": logging.INFO, "websockets": logging.INFO, "aiohttp": logging.INFO,
                   "httpx": logging.WARNING}
"""Each library's logger and the least it is held at: httpx logs request URLs at INFO, and a Telegram URL
carries the bot token."""


def keep_libraries_quiet() -> None:
    """Pin each library's logger at the root's level as it is now, and never below INFO, so lowering the root
    later (to DEBUG) doesn't switch theirs on either; a stricter level set for one of them is kept."""
    root = logging.getLogger().getEffectiveLevel()
    for name, least in LIBRARY_LOGGERS.items():
        logger, level = logging.getLogger(name), max(least, root)
        if logger.level < level:
            logger.setLevel(level)


def log_to_file(path: Path) -> None:
    """In the terminal chat the log goes to a file: a warning printed between two questions would read as the
    bot talking. The file is the operator's, readable by its owner only, and appended to across runs."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.coachbot = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in root.handlers[:]:
        handler.setFormatter(old.formatter)
        root.removeHandler(old)
    root.addHandler(handler)
