"""`coachbot screen` / `python -m safety`: one message per stdin line, one JSON object per stdout line.

Order and line count are preserved (a blank line still gets `{"tier": "none", ...}`), and each
line is flushed at once so a caller can pipe messages through one at a time. Message text is
never written anywhere but the tier and rule ids.
"""

from __future__ import annotations

import json
from typing import TextIO

from safety.layered import default_screener

__all__ = ["run_screen"]


def run_screen(stdin: TextIO, stdout: TextIO) -> int:
    """Screen every line of `stdin`, writing `{"tier", "rules", "score"}` lines to `stdout`; returns 0."""
    screener = default_screener()
    for line in stdin:
        result = screener.screen(line.rstrip("\r\n"))
        out: dict[str, object] = {"tier": result.tier.value, "rules": list(result.rules)}
        if result.score is not None:
            out["score"] = result.score
        stdout.write(json.dumps(out) + "\n")
        stdout.flush()
    return 0
