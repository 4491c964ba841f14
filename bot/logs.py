"""The platforms' libraries log whole messages at DEBUG (python-telegram-bot every update it fetches, slack_sdk
every message it posts), and what people write is health data. Ours never log a message's words at any level,
so raising the root logger to DEBUG to chase a problem must not switch theirs on: they are held at INFO."""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["LIBRARY_LOGGERS", "keep_libraries_quiet", "log_to_file"]

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
    root = logging.getLogger()
    for old in root.handlers[:]:
        handler.setFormatter(old.formatter)
        root.removeHandler(old)
    root.addHandler(handler)
