"""Which chat platforms exist, how each is switched on and built, and how a coachee joins on it.

A new platform is one module in bot/transports/ and one `register` call: the app builds every enabled
entry, the outbox delivers to it by name, and a coach's invite says how to join there. Nothing else
in the bot names a platform. Built-in platforms import their SDK only when they are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.config import Config
from bot.transports.base import JoinHint, Transport, TransportSetupError
from bot.wording import EngineWording

__all__ = ["JoinHint", "TransportEntry", "build_enabled", "entries", "join_hints", "register", "registered", "title_of"]


@dataclass(frozen=True, slots=True)
class TransportEntry:
    name: str
    """The transport's name: the `transport` of its conversations and outbox rows."""
    title: str
    """The platform's own name, as a person knows it."""
    enabled: Callable[[Config], bool]
    build: Callable[[Config, EngineWording], Transport]
    """The transport, speaking the locale's words where a platform shows any of its own (a menu, a choice)."""
    join: Callable[[Config, str], JoinHint] | None = None


_ENTRIES: dict[str, TransportEntry] = {}


def register(entry: TransportEntry) -> None:
    if entry.name in _ENTRIES:
        raise ValueError(f"a transport named {entry.name!r} is registered already")
    _ENTRIES[entry.name] = entry


@contextmanager
def registered(entry: TransportEntry) -> Iterator[TransportEntry]:
    """Register `entry` for the length of a block (a test's own transport)."""
    register(entry)
    try:
        yield entry
    finally:
        del _ENTRIES[entry.name]


def entries() -> list[TransportEntry]:
    return list(_ENTRIES.values())


def title_of(name: str) -> str:
    """The platform's own name for a transport name (the console and retired platforms: the name itself)."""
    entry = _ENTRIES.get(name)
    return entry.title if entry is not None else name.capitalize()


def build_enabled(config: Config, words: EngineWording) -> list[Transport]:
    """Every enabled platform, built; a setup problem names the platform in its one line."""
    built: list[Transport] = []
    for entry in entries():
        if not entry.enabled(config):
            continue
        try:
            built.append(entry.build(config, words))
        except TransportSetupError as exc:
            raise TransportSetupError(f"{entry.name}: {exc}") from None
    return built


def join_hints(config: Config, code: str) -> list[JoinHint]:
    """How to join on each enabled platform; on every platform when none is enabled (trying it in a terminal)."""
    joinable = [e for e in entries() if e.join is not None]
    enabled = [e for e in joinable if e.enabled(config)] or joinable
    return [e.join(config, code) for e in enabled if e.join is not None]


# the built-in platforms

def _telegram(config: Config, words: EngineWording) -> Transport:
    from bot.transports.telegram import TelegramTransport

    return TelegramTransport(config.telegram, words=words)


def _telegram_join(config: Config, code: str) -> JoinHint:
    username = config.telegram.bot_username
    if username:
        return JoinHint(platform="Telegram", link=f"https://t.me/{username}?start={code}")
    return JoinHint(platform="Telegram", message=f"/start {code}")


def _slack(config: Config, words: EngineWording) -> Transport:
    from bot.transports.slack import SlackTransport

    return SlackTransport(config.slack, words=words)


register(TransportEntry(name="telegram", title="Telegram", enabled=lambda c: c.telegram.enabled, build=_telegram,
                        join=_telegram_join))
register(TransportEntry(name="slack", title="Slack", enabled=lambda c: c.slack.enabled, build=_slack,
                        join=lambda _config, code: JoinHint(platform="Slack", message=f"join {code}")))
