"""`python -m safety`: the same stdin-to-JSON-lines screen as `coachbot screen`."""

from __future__ import annotations

import sys

from safety.stream import run_screen

if __name__ == "__main__":
    sys.exit(run_screen(sys.stdin, sys.stdout))
