"""`coachbot screen`: one message per stdin line, one JSON object per stdout line, in order."""

from __future__ import annotations

import json
from typing import TextIO

from safety.screener import default_screener


def run_screen(stdin: TextIO, stdout: TextIO) -> int:
    screener = default_screener()
    for line in stdin:
        result = screener.screen(line.rstrip("\r\n"))
        stdout.write(json.dumps({"tier": result.tier.value, "rules": list(result.rules)}) + "\n")
        stdout.flush()
    return 0
