"""People's names as the bot shows them: one line of visible text, of a sane length.

A display name comes from the platform, typed by the person themselves. Left as given, a newline in it can
forge a section of a coach's digest, and direction-control or zero-width characters can make one name look
like another. So every name is cleaned where it is stored and again where it is read.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_NAME", "clean_name"]

MAX_NAME = 80
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (zero-width, direction controls), surrogate, private-use and unassigned characters, and
line and paragraph separators."""


def clean_name(name: str, *, fallback: str = "there") -> str:
    """The name with invisible and control characters gone, whitespace runs as one space, at most
    `MAX_NAME` characters; `fallback` when nothing visible is left."""
    kept = "".join(" " if c.isspace() else c for c in unicodedata.normalize("NFC", name)
                   if c.isspace() or unicodedata.category(c) not in _DROPPED)
    cleaned = " ".join(kept.split())[:MAX_NAME].rstrip()
    return cleaned or fallback
