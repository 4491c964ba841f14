"""The little Markdown the bot writes (the coach's digest and caseload), in each platform's own markup.

Only what those texts use: "#" headings, **bold** and "- " bullets. Everything else is escaped as text.
"""

from __future__ import annotations

import html
import re

SPARK = "▁▂▃▄▅▆▇█"
"""The glyphs a sparkline draws with (the digest's scaling line ends with one, after its numbers)."""
_SPARKLINE_AT_END = re.compile(rf"[ \t]+[{SPARK}]+[ \t]*$", re.MULTILINE)

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


def _lines(text: str, *, bold: str, escape: bool) -> str:
    out = []
    for line in text.split("\n"):
        if escape:
            line = html.escape(line, quote=False)
        heading = _HEADING.match(line)
        if heading:
            line = bold.format(heading.group(1).replace("**", ""))
        else:
            line = _BOLD.sub(lambda m: bold.format(m.group(1)), line)
            if line.startswith("- "):
                line = "• " + line[2:]
        out.append(line)
    return "\n".join(out)


def telegram_html(text: str) -> str:
    """For Bot API parse_mode=HTML: escaped text, <b> for headings and bold."""
    return _lines(text, bold="<b>{}</b>", escape=True)


def slack_mrkdwn(escaped: str) -> str:
    """For Slack's mrkdwn, from text already escaped for Slack (&, <, >): *bold* for headings and bold. A sparkline
    ending a line is dropped: Slack can't hide text from a screen reader, which would read each glyph out as
    noise, and the numbers before it (and the chart's alt text) already say it. Telegram has no way to hide it
    either, but shows no chart in the text, so there it stays, after the numbers."""
    return _lines(_SPARKLINE_AT_END.sub("", escaped), bold="*{}*", escape=False)
