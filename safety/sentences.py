"""Sentence bounds in a normalised message, found once per message and looked up by bisection.

A sentence starts after ". ", "! ", "? ", "; ", "... " or " but " (a "but" turns the subject and
the stance), and ends at the next ".", "!", "?" or ";".
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

__all__ = ["Sentences"]

_STARTS = re.compile(r"[.!?;] |\.\.\. | but ")
_ENDS = re.compile(r"[.!?;]")


class Sentences:
    """Where each sentence of one message starts and ends."""

    __slots__ = ("_ends", "_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    def start_of(self, position: int) -> int:
        """Index where the sentence holding `position` starts."""
        starts = self._starts
        if starts is None:
            starts = self._starts = [0, *(m.end() for m in _STARTS.finditer(self._text))]
        return starts[bisect_right(starts, position) - 1]

    def end_of(self, position: int) -> int:
        """Index where the sentence holding `position` ends (its full stop, or the end of the text)."""
        ends = self._ends
        if ends is None:
            ends = self._ends = [m.start() for m in _ENDS.finditer(self._text)]
        index = bisect_left(ends, position)
        return ends[index] if index < len(ends) else len(self._text)
