"""Fold every character a person can type, by accident or on purpose, onto plain lower-case Latin.

A rule or a model that reads "suicide" must also read "ѕuісіdе" (Cyrillic), "sûïcide" (accents),
"su\u200bicide" (an invisible space inside) and "𝐬𝐮𝐢𝐜𝐢𝐝𝐞" (mathematical bold). Hand lists of
look-alikes go stale, so look-alikes come from ICU's confusables data (the Unicode TR39
skeleton, updated with each ICU release): `pyicu-wheels` carries ICU inside the wheel.

Only characters outside ASCII are folded here. TR39's skeleton also maps ASCII ("m" to "rn",
"l" to "I"), which is right for comparing two identifiers but wrong for reading a message.
Each character's folding is computed once and cached, so a message pays a dict look-up each.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import icu

__all__ = ["EMOJI_WORDS", "fold_unicode"]

EMOJI_WORDS: dict[str, str] = {
    "\U0001f480": "skull",  # 💀
    "\u2620": "skull",  # ☠
    "\u26b0": "coffin",  # ⚰
    "\U0001faa6": "grave",  # 🪦
    "\u26b1": "urn",  # ⚱
    "\U0001f52a": "knife",  # 🔪
    "\U0001f5e1": "knife",  # 🗡
    "\U0001fa92": "razor",  # 🪒
    "\U0001f48a": "pills",  # 💊
    "\U0001f489": "needle",  # 💉
    "\U0001faa2": "rope",  # 🪢
    "\U0001f309": "bridge",  # 🌉
    "\U0001f3d7": "building",  # 🏗
    "\U0001f3e2": "building",  # 🏢
    "\U0001fa78": "blood",  # 🩸
    "\U0001f52b": "gun",  # 🔫
    "\U0001f6a7": "",  # 🚧
    "\U0001f494": "heartbroken",  # 💔
    "\U0001f44b": "bye",  # 👋
    "\U0001f62d": "crying",  # 😭
    "\U0001f622": "crying",  # 😢
    "\U0001f630": "anxious",  # 😰
    "\U0001f628": "scared",  # 😨
    "\U0001f602": "lol",  # 😂
    "\U0001f923": "lol",  # 🤣
    "\U0001f606": "lol",  # 😆
    "\U0001f605": "lol",  # 😅
}
"""Emoji people use as words. Any other symbol is read as a space."""

_REMOVED = frozenset({"Cf", "Mn", "Me", "Cs", "Co", "Cn"})
"""Format characters (zero-width, direction controls, soft hyphen), combining marks (accents), unassigned."""
_SPACE = frozenset({"Zs", "Zl", "Zp", "Cc", "So", "Sk"})

_SPOOF = icu.SpoofChecker()
_TO_LATIN = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")  # not said: an ICU transform


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One non-ASCII character as plain ASCII letters, a space, or nothing."""
    if char in EMOJI_WORDS:
        word = EMOJI_WORDS[char]
        return f" {word} " if word else " "
    category = unicodedata.category(char)
    if category in _REMOVED:
        return ""
    if category in _SPACE:
        return " "
    skeleton = _strip_marks(str(_SPOOF.getSkeleton(0, char)))
    if skeleton.isascii():
        return skeleton.lower()
    latin = _strip_marks(str(_TO_LATIN.transliterate(char)))
    if latin.isascii() and latin.strip():
        return latin.lower()
    return skeleton.lower()


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) not in _REMOVED)


def fold_unicode(text: str) -> str:
    """`text` (already NFKC) with every non-ASCII character folded; ASCII is left as it is."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _fold_char(c) for c in text)
