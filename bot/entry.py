"""The `coachbot` command and `python -m bot`: first make sure the packages about to run are ours."""

from __future__ import annotations

import sys

from bot.own_packages import foreign_packages

__all__ = ["main"]


def main() -> int:
    problems = foreign_packages()
    if problems:
        print("coachbot: refusing to start, another package has our name: " + "; ".join(problems)
              + ". Install coachbot in a virtual environment of its own (`make install` does).", file=sys.stderr)
        return 2
    from bot.cli import main as cli_main  # only now: importing it imports flows and safety

    return cli_main()
