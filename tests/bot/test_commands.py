"""One table of commands: the menu, the engine's handlers and Slack's bare words all come from it."""

from __future__ import annotations

from bot.coach_desk import CoachDesk
from bot.coachee_desk import CoacheeDesk
from bot.commands import COMMANDS, coach_words, handler_name, words
from bot.config import Config
from bot.transports.slack import bare_commands
from bot.wording import EngineWording
from tests.conftest import Harness, MarkerScreener, make_harness, onboard


def test_every_command_has_its_handler_and_the_menu_lists_only_real_commands() -> None:
    owners = {"coachee": CoacheeDesk, "coach": CoachDesk}
    assert all(callable(getattr(owners[c.audience], handler_name(c), None)) for c in COMMANDS)
    menu = {c.word for c in EngineWording.load().commands}
    assert menu <= words("coachee")
    assert coach_words() == words("coach") - words("coachee") and "invite" in coach_words()


def test_slack_shows_every_bare_command_without_its_slash() -> None:
    for command in COMMANDS:
        shown = bare_commands(f"type /{command.word} now")
        assert shown == (f"type {command.word} now" if command.bare else f"type /{command.word} now")


async def test_commands_work_with_or_without_the_slash_and_a_coach_word_is_refused_kindly(harness: Harness) -> None:
    await onboard(harness)
    words_help = EngineWording.load().command_list()
    assert words_help in await harness.texts("help")
    assert words_help in await harness.texts("/help")
    assert "That's for coaches." in await harness.texts("/invite")
    assert "/checkins" in await harness.texts("/nonsense")  # an unknown command lists the real ones
    assert "invite code" in await harness.texts("invite", user=harness.coach_user)
    assert "Alex Coach" in await harness.texts("good morning", user=harness.coach_user)


async def test_pause_and_resume_agree_on_whether_anything_is_paused(config: Config, screener: MarkerScreener) -> None:
    h = make_harness(config, screener, onboarded=True)  # joined, nothing asked yet
    await h.transport.start(h.app.engine.handle)
    nothing = await h.texts("/pause")
    assert "nothing to pause" in nothing and "I've paused" not in nothing
    assert "nothing paused" in await h.texts("/resume")
    await h.prompt("checkin")  # now a question is waiting
    assert "I've paused our conversation" in await h.texts("/pause")
    assert "is paused" in await h.texts("/pause")  # still paused, not paused twice
    assert "Here's where we were" in await h.texts("/resume")
    h.app.engine.close()
    h.app.db.dispose()
