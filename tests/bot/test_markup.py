"""The digest's Markdown as each platform shows it: bold headings, bullets, and nothing unescaped."""

from __future__ import annotations

from bot.markup import slack_mrkdwn, telegram_html
from bot.transports.slack import escape

DIGEST = "# Digest for Alex: Sam <Jones>\n\n- **Goal** (2 Dec): calmer meetings & fewer *late* starts\nplain line"


def test_telegram_gets_escaped_html_with_bold() -> None:
    assert telegram_html(DIGEST) == (
        "<b>Digest for Alex: Sam &lt;Jones&gt;</b>\n\n"
        "• <b>Goal</b> (2 Dec): calmer meetings &amp; fewer *late* starts\nplain line")


def test_slack_gets_mrkdwn_with_its_own_escaping() -> None:
    assert slack_mrkdwn(escape(DIGEST)) == (
        "*Digest for Alex: Sam &lt;Jones&gt;*\n\n"
        "• *Goal* (2 Dec): calmer meetings &amp; fewer *late* starts\nplain line")
