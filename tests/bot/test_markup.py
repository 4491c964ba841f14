"""The digest's Markdown as each platform shows it: bold headings, bullets, and nothing unescaped."""

from __future__ import annotations

from bot.markup import SPARK, slack_mrkdwn, telegram_html
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


SCALING = "## Scaling\n- Scaling: 3 → 5 → 7  ▂▄▆\n- Readings: 3 (check-in) → 5 → 7"


def test_slack_drops_the_sparkline_a_screen_reader_would_read_as_noise_and_keeps_the_numbers() -> None:
    shown = slack_mrkdwn(escape(SCALING))
    assert "• Scaling: 3 → 5 → 7\n" in shown
    assert not any(glyph in shown for glyph in SPARK)


def test_telegram_keeps_the_sparkline_after_the_numbers_it_draws() -> None:
    shown = telegram_html(SCALING)
    assert "• Scaling: 3 → 5 → 7  ▂▄▆\n" in shown


def test_slack_leaves_glyphs_inside_a_line_alone() -> None:
    said = "- Answer: my week went ▁▂▃ then up"  # not a sparkline ending the line: someone's own text
    assert "my week went ▁▂▃ then up" in slack_mrkdwn(escape(said))
