"""Rendering: the Jinja2 templates beside this module, always autoescaped, into responses with the page headers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.web.security import HEADERS

__all__ = ["STYLE", "TEMPLATES", "Pages"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLE = TEMPLATES / "style.css"


def _local(moment: datetime | None, zone: str, pattern: str = "%a %-d %b %Y, %H:%M") -> str:
    return "" if moment is None else f"{moment.astimezone(ZoneInfo(zone)):{pattern}}"


def _since(moment: datetime | None, now: datetime) -> tuple[int, int]:
    """(days, hours) from then to now, for "on hold for 2 days 3 hours"."""
    if moment is None:
        return 0, 0
    gone = max(now - moment, timedelta(0))
    return gone.days, gone.seconds // 3600


class Pages:
    def __init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["local"] = _local
        self.env.globals["since"] = _since

    def html(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        body = self.env.get_template(template).render(**context)
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)
