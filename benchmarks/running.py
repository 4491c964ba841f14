"""The real app for a benchmark: built from config (the real screener included), closed however the run ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.app import App, build_app
from bot.config import Config
from bot.transports.memory import MemoryTransport


@contextmanager
def running_app(config: Config, transport: MemoryTransport) -> Iterator[App]:
    app = build_app(config)
    app.add_transport(transport)
    try:
        yield app
    finally:
        app.engine.close()
        app.db.dispose()
