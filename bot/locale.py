"""Which language the bot speaks: every word it says, from one set of files per locale.

A locale is a folder holding the four wording files: `engine.toml` (the bot's own replies, digests and
labels), `flows.toml` (re-asks, notes and the review), `safety.toml` (what the screen's routing says) and
`flows/` (the flows, questions included, as data). English is built in, from the files beside the code
that reads them. Another locale is a folder under bot/locales/, or anywhere a test puts one; it is read
and validated whole at start-up, so a missing or misspelt key stops the bot there, never mid-conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.wording import REPLIES, EngineWording
from flows.registry import DATA_DIR, FlowRegistry
from flows.stepper import WORDING, Wording
from safety.routing import REPLIES as SAFETY_REPLIES
from safety.routing import Templates

__all__ = ["ENGLISH", "LOCALES", "Locale", "LocaleError", "load_locale"]

LOCALES = Path(__file__).resolve().parent / "locales"
FILES = ("engine.toml", "flows.toml", "safety.toml", "flows")


class LocaleError(Exception):
    """A locale that can't be used: not there, or a file missing."""


@dataclass(frozen=True, slots=True)
class Locale:
    code: str
    engine_file: Path
    flows_file: Path
    safety_file: Path
    flow_data: Path

    @classmethod
    def in_folder(cls, code: str, folder: Path) -> Locale:
        missing = [name for name in FILES if not (folder / name).exists()]
        if missing:
            raise LocaleError(f"locale {code!r} has no {', '.join(missing)} in {folder.name}/")
        return cls(code=code, engine_file=folder / "engine.toml", flows_file=folder / "flows.toml",
                   safety_file=folder / "safety.toml", flow_data=folder / "flows")

    def engine(self) -> EngineWording:
        return EngineWording.load(self.engine_file)

    def flow_words(self) -> Wording:
        return Wording.load(self.flows_file)

    def flows(self) -> FlowRegistry:
        return FlowRegistry.load(self.flow_data)

    def safety(self) -> Templates:
        return Templates.load(self.safety_file)


ENGLISH = Locale(code="en", engine_file=REPLIES, flows_file=WORDING, safety_file=SAFETY_REPLIES, flow_data=DATA_DIR)


def load_locale(code: str, *, folder: Path = LOCALES) -> Locale:
    """English, or the locale in `folder`/`code`."""
    if code == ENGLISH.code:
        return ENGLISH
    if not code.replace("-", "").replace("_", "").isalnum() or not (folder / code).is_dir():
        raise LocaleError(f"no locale {code!r} (look in {folder.name}/)")
    return Locale.in_folder(code, folder / code)
